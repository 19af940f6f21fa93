package reload

import (
	"path"
	"path/filepath"
	"strings"
)

// Filter decides which changes under the watched directory call for a
// rebuild: Go source files (not tests) and the Extra globs, outside the
// directories the go tool ignores, never an editor's temporary file or the
// build output. Paths are relative to the watched directory and use
// slashes.
type Filter struct {
	// Extra are globs of further files that matter (templates, TOML). A
	// glob without a slash matches a file's name in any directory
	// ("*.toml"); one with a slash matches the whole relative path
	// ("templates/*.html"). The syntax is path.Match's.
	Extra []string
	// Skip are relative paths never to report: the build output when it
	// lies inside the watched directory.
	Skip []string
}

// SkipDir reports whether the directory at rel (not the watched directory
// itself) is left unwatched: vendor/, testdata/, node_modules/ and those
// whose names start with "." or "_" (.git/, .idea/), which the go tool
// ignores too.
func (f Filter) SkipDir(rel string) bool {
	name := path.Base(filepath.ToSlash(rel))
	switch {
	case name == "vendor", name == "testdata", name == "node_modules":
		return true
	case strings.HasPrefix(name, "."), strings.HasPrefix(name, "_"):
		return true
	}
	return f.skipped(rel)
}

// Match reports whether a change to the file at rel calls for a rebuild.
func (f Filter) Match(rel string) bool {
	rel = filepath.ToSlash(rel)
	name := path.Base(rel)
	if editorTemp(name) || f.skipped(rel) || f.inSkippedDir(rel) {
		return false
	}
	if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") &&
		!strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") {
		return true
	}
	for _, glob := range f.Extra {
		subject := name
		if strings.Contains(glob, "/") {
			subject = rel
		}
		if ok, _ := path.Match(filepath.ToSlash(glob), subject); ok {
			return true
		}
	}
	return false
}

func (f Filter) skipped(rel string) bool {
	rel = filepath.ToSlash(rel)
	for _, s := range f.Skip {
		if filepath.ToSlash(s) == rel {
			return true
		}
	}
	return false
}

// inSkippedDir reports whether some directory on rel's path is skipped.
func (f Filter) inSkippedDir(rel string) bool {
	dir := path.Dir(rel)
	for dir != "." && dir != "/" {
		if f.SkipDir(dir) {
			return true
		}
		dir = path.Dir(dir)
	}
	return false
}

// editorTemp reports whether name is an editor's temporary or backup file:
// Emacs (file~, #file#, .#file), Vim (.file.swp, .file.swx, 4913, the file
// it creates to test a directory) and JetBrains' safe-write files.
func editorTemp(name string) bool {
	switch {
	case name == "4913":
		return true
	case strings.HasSuffix(name, "~"):
		return true
	case strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"):
		return true
	case strings.HasPrefix(name, ".#"):
		return true
	case strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swx") || strings.HasSuffix(name, ".swo")):
		return true
	case strings.HasSuffix(name, "___jb_tmp___"), strings.HasSuffix(name, "___jb_old___"):
		return true
	}
	return false
}
