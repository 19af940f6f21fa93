package reload

import "testing"

func TestFilterMatch(t *testing.T) {
	f := Filter{
		Extra: []string{"*.toml", "templates/*.html"},
		Skip:  []string{"bin/myapp"},
	}
	tests := []struct {
		name    string
		giveRel string
		want    bool
	}{
		{name: "go file", giveRel: "main.go", want: true},
		{name: "go file in a package", giveRel: "internal/api/handler.go", want: true},
		{name: "test file", giveRel: "handler_test.go", want: false},
		{name: "test file in a package", giveRel: "internal/api/handler_test.go", want: false},
		{name: "vendored", giveRel: "vendor/github.com/x/y/y.go", want: false},
		{name: "git", giveRel: ".git/index", want: false},
		{name: "go file under .git", giveRel: ".git/x.go", want: false},
		{name: "testdata", giveRel: "api/testdata/fixture.go", want: false},
		{name: "underscore dir", giveRel: "_attic/old.go", want: false},
		{name: "hidden go file", giveRel: ".scratch.go", want: false},
		{name: "underscore go file", giveRel: "_scratch.go", want: false},
		{name: "build output", giveRel: "bin/myapp", want: false},
		{name: "other file", giveRel: "README.md", want: false},
		{name: "go.mod", giveRel: "go.mod", want: false},
		{name: "toml anywhere", giveRel: "config/app.toml", want: true},
		{name: "toml at the root", giveRel: "app.toml", want: true},
		{name: "template", giveRel: "templates/index.html", want: true},
		{name: "html elsewhere", giveRel: "static/index.html", want: false},
		{name: "vim swap", giveRel: ".main.go.swp", want: false},
		{name: "vim swx", giveRel: "api/.handler.go.swx", want: false},
		{name: "vim swap of a template", giveRel: "templates/.index.html.swp", want: false},
		{name: "vim write test", giveRel: "4913", want: false},
		{name: "vim write test in a package", giveRel: "api/4913", want: false},
		{name: "backup", giveRel: "main.go~", want: false},
		{name: "toml backup", giveRel: "app.toml~", want: false},
		{name: "emacs autosave", giveRel: "#main.go#", want: false},
		{name: "emacs lock", giveRel: ".#main.go", want: false},
		{name: "jetbrains safe write", giveRel: "main.go___jb_tmp___", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.Match(tt.giveRel); got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", tt.giveRel, got, tt.want)
			}
		})
	}
}

func TestFilterSkipDir(t *testing.T) {
	f := Filter{Skip: []string{"bin"}}
	tests := []struct {
		name    string
		giveRel string
		want    bool
	}{
		{name: "package", giveRel: "internal/api", want: false},
		{name: "templates", giveRel: "templates", want: false},
		{name: "git", giveRel: ".git", want: true},
		{name: "editor settings", giveRel: ".idea", want: true},
		{name: "vendor", giveRel: "vendor", want: true},
		{name: "nested vendor", giveRel: "tools/vendor", want: true},
		{name: "testdata", giveRel: "api/testdata", want: true},
		{name: "node_modules", giveRel: "web/node_modules", want: true},
		{name: "underscore", giveRel: "_old", want: true},
		{name: "build output dir", giveRel: "bin", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.SkipDir(tt.giveRel); got != tt.want {
				t.Errorf("SkipDir(%q) = %v, want %v", tt.giveRel, got, tt.want)
			}
		})
	}
}
