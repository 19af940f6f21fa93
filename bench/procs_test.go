package main

import "testing"

func TestStatCPU(t *testing.T) {
	tests := []struct {
		name         string
		give         string // a /proc/PID/stat line
		wantSelf     int64
		wantChildren int64
		wantOK       bool
	}{
		{
			name:     "drover worker",
			give:     "28381 (drover) S 28328 28381 25106 0 -1 4194304 98 0 0 0 1520 311 0 0 20 0 5 0 349862 3133440 349 18446744073709551615",
			wantSelf: 1831, wantOK: true,
		},
		{
			name:     "supervisor with reaped workers",
			give:     "28328 (drover) S 1 28328 25106 0 -1 4194560 2000 900 0 0 12 7 3410 620 20 0 8 0 349000 9133440 1349 18446744073709551615",
			wantSelf: 19, wantChildren: 4030, wantOK: true,
		},
		{
			name:     "name with a parenthesis and spaces",
			give:     "77 (nginx: worker) x) S 76 76 76 0 -1 4194624 10 0 0 0 5 6 7 8 20 0",
			wantSelf: 11, wantChildren: 15, wantOK: true,
		},
		{name: "truncated", give: "77 (nginx) S 76 76 76 0 -1 4194624 10 0 0 0 5 6"},
		{name: "no name", give: "77 nginx S 76"},
		{name: "not a number", give: "77 (nginx) S 76 76 76 0 -1 4194624 10 0 0 0 5 x 7 8 20 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			self, children, ok := statCPU(tt.give)
			if self != tt.wantSelf || children != tt.wantChildren || ok != tt.wantOK {
				t.Errorf("statCPU(%q) = %d, %d, %v, want %d, %d, %v", tt.give, self, children, ok, tt.wantSelf, tt.wantChildren, tt.wantOK)
			}
		})
	}
}
