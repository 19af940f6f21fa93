package config

import (
	"strings"
	"testing"
)

func TestFormatSize(t *testing.T) {
	tests := []struct {
		give int64
		want string
	}{
		{give: 0, want: "0 bytes"},
		{give: 512, want: "512 bytes"},
		{give: 1536, want: "1536 bytes"},
		{give: 4 << 10, want: "4K"},
		{give: 16 << 20, want: "16M"},
		{give: 1536 << 20, want: "1536M"},
		{give: 1 << 30, want: "1G"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := formatSize(tt.give)
			if got != tt.want {
				t.Errorf("formatSize(%d) = %q, want %q", tt.give, got, tt.want)
			}
			// What it writes reads back, as a flag would.
			if back, err := ParseByteSize(strings.TrimSuffix(got, " bytes")); err != nil || back != tt.give {
				t.Errorf("ParseByteSize(%q) = %d, %v; want %d", got, back, err, tt.give)
			}
		})
	}
}
