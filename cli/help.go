package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/drover/drover/internal/config"
)

// command is one of drover's commands as help lists it.
type command struct {
	name string
	// args follow the name in the usage line: "NAME".
	args    string
	summary string
	// flags registers the command's own flags, beside the settings every
	// command reads; nil when it has none. Help registers them on a flag
	// set of its own, so the values they point to are thrown away.
	flags func(fs *pflag.FlagSet)
	// settings says whether the command reads the settings' flags.
	settings bool
	// users marks the commands on the users store: a program without
	// drover's authentication has no store, and no such commands.
	users bool
}

// commands are p's commands in the order help lists them.
func (p Program) commands() []command {
	all := []command{
		{name: "serve", summary: "run the pre-fork server: a supervisor and --workers worker processes (the default command)",
			flags: printConfigFlag(new(bool)), settings: true},
		{name: "dev", summary: "run the development server: one process, one request at a time; --reload rebuilds on change",
			flags: new(reloadFlags).register, settings: true},
		{name: "check", summary: "validate the configuration as serve does and print it as TOML", settings: true},
		{name: "users", users: true, summary: "list the users of the store", settings: true},
		{name: "createuser", users: true, args: "NAME", summary: "add a user (password from a prompt, or stdin's first line; Django's validators)",
			flags: noValidateFlag(new(bool)), settings: true},
		{name: "changepassword", users: true, args: "NAME", summary: "set a user's password and revoke their refresh tokens",
			flags: noValidateFlag(new(bool)), settings: true},
		{name: "deactivateuser", users: true, args: "NAME", summary: "refuse a user's logins and tokens", settings: true},
		{name: "activateuser", users: true, args: "NAME", summary: "undo deactivateuser", settings: true},
		{name: "deleteuser", users: true, args: "NAME", summary: "delete a user and every refresh token they hold", settings: true},
		{name: "migrate", users: true, summary: "create or migrate the store's schema (serve does at its start, unless --no-migrate)", settings: true},
		{name: "import-django-users", users: true, args: "SOURCE", summary: "copy the users of Django's SQLite file or postgres:// database, with their password hashes",
			flags: new(importFlags).register, settings: true},
		{name: "status", summary: "show the running server's supervisor and workers, from its control socket (--json, --watch)",
			flags: new(controlFlags).status, settings: true},
		{name: "reload", summary: "roll every worker onto a new generation, as HUP does (--wait: until it is ready)",
			flags: new(controlFlags).waitFlag, settings: true},
		{name: "scale", args: "N", summary: "keep N workers running (1 to 1024), as TTIN and TTOU do one at a time", settings: true},
		{name: "stop", summary: "stop the running server: drain, as TERM does (--fast: at once, as INT)",
			flags: new(controlFlags).stop, settings: true},
		{name: "reopen-logs", summary: "reopen the log files, as USR1 does", settings: true},
		{name: "upgrade", summary: "binary upgrade in place, as USR2: a canary first, then the same PID re-executes the binary on disk",
			flags: new(controlFlags).waitFlag, settings: true},
		{name: "version", summary: "print the version, the VCS revision and the Go version (also --version)"},
		{name: "help", args: "[COMMAND]", summary: "print this help, or one command's (also COMMAND --help)"},
	}
	if p.authenticates() {
		return all
	}
	var own []command
	for _, c := range all {
		if !c.users {
			own = append(own, c)
		}
	}
	return own
}

func (p Program) lookupCommand(name string) (command, bool) {
	for _, c := range p.commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func (p Program) commandNames() []string {
	var names []string
	for _, c := range p.commands() {
		names = append(names, c.name)
	}
	return names
}

// wantsHelp reports whether a command's arguments ask for its help (before
// any "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "--help" {
			return true
		}
	}
	return false
}

// settingsNote says how else p's settings are given, and how values are
// written.
func (p Program) settingsNote() string {
	env := "DROVER_<NAME> (DROVER_WORKERS=4)"
	if t, _ := p.table(); t.EnvPrefix() != config.EnvPrefix {
		env = fmt.Sprintf("%s<NAME> (%sWORKERS=4, which wins over\nDROVER_WORKERS)", t.EnvPrefix(), t.EnvPrefix())
	}
	return fmt.Sprintf(`Every setting flag can also be set as %s or in
the --config file (workers = 4). Flags win over the environment, which wins
over the file. Durations are seconds (30) or Go durations (500ms, 2m); sizes
are bytes or take K, M, G (512K, 19M); booleans take true/false, yes/no,
on/off or 1/0 (--proxy-protocol, --proxy-protocol=no, --proxy-protocol no).
`, env)
}

// settingsCommands names the commands that read the settings' flags.
func (p Program) settingsCommands() string {
	if p.authenticates() {
		return "serve, dev, check, the control commands (status, reload, scale, stop, reopen-logs, upgrade) and the user commands"
	}
	return "serve, dev, check and the control commands (status, reload, scale, stop, reopen-logs, upgrade)"
}

// usage writes drover help: every command, and every flag any of them
// takes: the settings, then each command's own.
func usage(w io.Writer, p Program) {
	fmt.Fprintf(w, "Usage: %s [COMMAND] [flags]\n\nCommands:\n", p.name())
	for _, c := range p.commands() {
		fmt.Fprintf(w, "  %-22s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintf(w, "\n%s\nSettings, the flags of %s:\n", p.settingsNote(), p.settingsCommands())
	t, _ := p.table()
	t.Usage(w, config.Default(), nil)
	for _, c := range p.commands() {
		if c.flags == nil {
			continue
		}
		fmt.Fprintf(w, "\nFlags of %s only:\n", c.name)
		fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
		c.flags(fs)
		config.PrintFlags(w, fs)
	}
}

// commandUsage writes COMMAND --help: what it does and every flag it
// takes, with its own defaults.
func commandUsage(w io.Writer, p Program, c command) {
	fmt.Fprintf(w, "Usage: %s %s [flags]\n\n  %s\n", p.name(), strings.TrimSpace(c.name+" "+c.args), c.summary)
	if !c.settings {
		return
	}
	defaults := config.Default()
	if c.name == "dev" {
		defaults = devDefaults()
	}
	fmt.Fprintf(w, "\n%s\nFlags:\n", p.settingsNote())
	t, _ := p.table()
	t.Usage(w, defaults, c.flags)
}
