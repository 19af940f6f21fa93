package stacktrace

import "testing"

func TestReadableKeepsWhatItCannotRead(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "not a dump", give: "boom"},
		{name: "no tab line", give: "goroutine 1 [running]:\nmain.main()\nmain.x()"},
		{name: "empty", give: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Readable(tt.give); got != tt.give {
				t.Errorf("Readable(%q) = %q, want it unchanged", tt.give, got)
			}
		})
	}
}

func TestFramework(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{give: "net/http.HandlerFunc.ServeHTTP(...)", want: true},
		{give: "runtime.goexit()", want: true},
		{give: "github.com/drover/drover/app.(*recoverer).wrap.func1()", want: true},
		{give: "github.com/drover/drover/internal/graceful.New.func4()", want: true},
		{give: "created by net/http.(*Server).Serve in goroutine 1", want: true},
		{give: "main.handler(...)", want: false},
		{give: "github.com/drover/drover/app/api.hello(...)", want: false},
		{give: "example.com/shop.(*cart).add(...)", want: false},
	}
	for _, tt := range tests {
		if got := framework(tt.give); got != tt.want {
			t.Errorf("framework(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}
