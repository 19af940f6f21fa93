package config_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drover/drover/internal/config"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    time.Duration
		wantErr bool
	}{
		{name: "whole seconds", give: "30", want: 30 * time.Second},
		{name: "zero", give: "0", want: 0},
		{name: "fractional seconds", give: "0.5", want: 500 * time.Millisecond},
		{name: "surrounding space", give: " 2 ", want: 2 * time.Second},
		{name: "milliseconds", give: "500ms", want: 500 * time.Millisecond},
		{name: "minutes and seconds", give: "1m30s", want: 90 * time.Second},
		{name: "hours", give: "2h", want: 2 * time.Hour},
		{name: "zero duration", give: "0s", want: 0},
		{name: "negative seconds", give: "-1", wantErr: true},
		{name: "negative duration", give: "-5s", wantErr: true},
		{name: "words", give: "abc", wantErr: true},
		{name: "empty", give: "", wantErr: true},
		{name: "unit only", give: "ms", wantErr: true},
		{name: "too long in seconds", give: "1e12", wantErr: true},
		{name: "infinite", give: "Inf", wantErr: true},
		{name: "negative infinite", give: "-Inf", wantErr: true},
		{name: "not a number", give: "NaN", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.ParseDuration(tt.give)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %t", tt.give, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    int64
		wantErr bool
	}{
		{name: "bytes", give: "1048576", want: 1 << 20},
		{name: "zero", give: "0", want: 0},
		{name: "kibibytes", give: "512K", want: 512 << 10},
		{name: "lower case unit", give: "512k", want: 512 << 10},
		{name: "mebibytes", give: "10M", want: 10 << 20},
		{name: "gibibytes with iB", give: "1GiB", want: 1 << 30},
		{name: "MB is binary", give: "10MB", want: 10 << 20},
		{name: "KB is binary", give: "4KB", want: 4 << 10},
		{name: "space before unit", give: "8 M", want: 8 << 20},
		{name: "negative", give: "-1", wantErr: true},
		{name: "negative with unit", give: "-1K", wantErr: true},
		{name: "letters", give: "x", wantErr: true},
		{name: "unit only", give: "M", wantErr: true},
		{name: "empty", give: "", wantErr: true},
		{name: "fraction", give: "1.5M", wantErr: true},
		{name: "unknown unit", give: "1T", wantErr: true},
		{name: "too large", give: "9999999999G", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.ParseByteSize(tt.give)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseByteSize(%q) = %d, %v; want %d, error %t", tt.give, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseAllowIPs(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    []netip.Prefix
		wantAll bool
		wantErr bool
	}{
		{
			name: "addresses",
			give: "127.0.0.1,::1",
			want: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
		},
		{
			name: "spaces and empty parts",
			give: " 127.0.0.1 , ,::1,",
			want: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
		},
		{name: "cidr", give: "10.0.0.0/8", want: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		{name: "cidr is masked", give: "10.1.2.3/8", want: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		{name: "ipv6 cidr", give: "2001:db8::/32", want: []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}},
		{name: "star", give: "*", wantAll: true},
		{
			name:    "star with addresses",
			give:    "10.0.0.0/8,*",
			want:    []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
			wantAll: true,
		},
		{name: "mapped ipv4 is unmapped", give: "::ffff:127.0.0.1", want: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		{name: "empty", give: ""},
		{name: "garbage", give: "localhost", wantErr: true},
		{name: "garbage after a good one", give: "127.0.0.1,nope", wantErr: true},
		{name: "bad cidr", give: "10.0.0.0/33", wantErr: true},
		{name: "cidr of garbage", give: "x/8", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, all, err := config.ParseAllowIPs(tt.give)
			if !reflect.DeepEqual(got, tt.want) || all != tt.wantAll || (err != nil) != tt.wantErr {
				t.Errorf("ParseAllowIPs(%q) = %v, %t, %v; want %v, %t, error %t",
					tt.give, got, all, err, tt.want, tt.wantAll, tt.wantErr)
			}
		})
	}
}

func TestSchema(t *testing.T) {
	got := config.Schema()
	if len(got) != 16 || strings.Trim(got, "0123456789abcdef") != "" {
		t.Errorf("Schema() = %q, want 16 hex digits", got)
	}
	if again := config.Schema(); again != got {
		t.Errorf("Schema() = %q, then %q; want the same", got, again)
	}
}
