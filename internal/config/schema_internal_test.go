package config

import "testing"

func TestSchemaOf(t *testing.T) {
	base := settings()
	tests := []struct {
		name     string
		give     func() []setting
		wantSame bool
	}{
		{name: "same table", give: settings, wantSame: true},
		{name: "reordered", give: func() []setting {
			t := settings()
			t[0], t[1] = t[1], t[0]
			return t
		}, wantSame: true},
		{name: "usage changed", give: func() []setting {
			t := settings()
			t[0].usage = "reworded"
			return t
		}, wantSame: true},
		{name: "setting added", give: func() []setting {
			return append(settings(), stringSetting("extra", "", "", func(c *Config) *string { return &c.File }))
		}},
		{name: "setting removed", give: func() []setting { return settings()[1:] }},
		{name: "kind changed", give: func() []setting {
			t := settings()
			t[1].kind = "string"
			return t
		}},
		{name: "list changed", give: func() []setting {
			t := settings()
			t[0].list = false
			return t
		}},
	}
	want := schemaOf(base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := schemaOf(tt.give())
			if (got == want) != tt.wantSame {
				t.Errorf("schemaOf(%s) = %s, base %s; want same = %v", tt.name, got, want, tt.wantSame)
			}
		})
	}
}
