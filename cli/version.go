package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// droverModule is drover's module path, found in a program's build
// information as the main module or as a dependency.
const droverModule = "github.com/drover/drover"

// version describes the running binary from what the Go toolchain
// recorded in it: the main module and its version, drover's version when
// drover is a dependency of the program, the VCS revision it was built
// from (and whether the tree had uncommitted changes), and the Go version.
// A binary built from a checkout has the version "(devel)"; one installed
// with go install module@version has that version.
func version(name string, info *debug.BuildInfo, ok bool) string {
	if !ok {
		return fmt.Sprintf("%s: no build information (built without module support)\n%s %s/%s\n", name, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s, module %s\n", name, moduleVersion(info.Main), info.Main.Path)
	if info.Main.Path != droverModule {
		for _, dep := range info.Deps {
			if dep.Path == droverModule {
				fmt.Fprintf(&b, "drover %s\n", moduleVersion(*dep))
			}
		}
	}
	settings := make(map[string]string)
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "revision %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString("\n")
	} else {
		b.WriteString("revision unknown (built outside a checkout, or with -buildvcs=false)\n")
	}
	goos, goarch := settings["GOOS"], settings["GOARCH"]
	if goos == "" {
		goos, goarch = runtime.GOOS, runtime.GOARCH
	}
	fmt.Fprintf(&b, "%s %s/%s\n", info.GoVersion, goos, goarch)
	return b.String()
}

func moduleVersion(m debug.Module) string {
	if m.Replace != nil && m.Replace.Version != "" {
		return m.Replace.Version
	}
	if m.Version == "" {
		return "(devel)"
	}
	return m.Version
}

// wantsVersion reports whether args ask for the version: the command
// "version", or --version among the flags (before any "--").
func wantsVersion(args []string) bool {
	if len(args) > 0 && args[0] == "version" {
		return true
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--version" {
			return true
		}
	}
	return false
}
