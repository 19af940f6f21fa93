package config

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// Schema is the fingerprint of this binary's settings: a hash over the
// name and kind of every setting in the table, sorted by name. Two
// binaries with the same Schema read and write a Config the same way; a
// worker binary with another Schema than its supervisor's would silently
// get zero values for the settings they do not share, so the Config frame
// carries it (internal/proto) and the worker refuses a mismatch.
//
// It is computed from the table on every call: it is cheap, and it is
// used once per worker start.
func Schema() string { d := Drover(); return d.Schema() }

func schemaOf(table []setting) string {
	rows := make([]string, 0, len(table))
	for _, s := range table {
		kind := s.kind
		if s.list {
			kind = "[]" + kind
		}
		rows = append(rows, s.name+" "+kind+"\n")
	}
	slices.Sort(rows)
	sum := sha256.Sum256([]byte(strings.Join(rows, "")))
	return hex.EncodeToString(sum[:8])
}
