package event

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestConfigFlags(t *testing.T) {
	var c Config
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	c.RegisterFlags(fs)
	defaults := Config{IDField: "id", MaxBodyBytes: 8 << 20, MaxEventBytes: 1 << 20, MaxDepth: 32, MaxBatch: 10000}
	if c != defaults {
		t.Errorf("defaults = %+v, want %+v", c, defaults)
	}
	err := fs.Parse([]string{
		"--event.id-field=meta.id", "--event.key-field=device.serial", "--event.max-body-bytes=1000",
		"--event.max-event-bytes=100", "--event.max-depth=4", "--event.max-batch=7",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{IDField: "meta.id", KeyField: "device.serial", MaxBodyBytes: 1000, MaxEventBytes: 100, MaxDepth: 4, MaxBatch: 7}
	if c != want {
		t.Errorf("parsed = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestConfigApplyDefaults(t *testing.T) {
	c := Config{KeyField: "k", MaxDepth: 3}
	c.ApplyDefaults()
	want := Config{IDField: "id", KeyField: "k", MaxBodyBytes: DefaultMaxBodyBytes, MaxEventBytes: DefaultMaxEventBytes, MaxDepth: 3, MaxBatch: DefaultMaxBatch}
	if c != want {
		t.Errorf("ApplyDefaults = %+v, want %+v", c, want)
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		c := Config{KeyField: "user_id"}
		c.ApplyDefaults()
		return c
	}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"defaults", func(*Config) {}, ""},
		{"nested paths", func(c *Config) { c.IDField = "a.b.c"; c.KeyField = "x.y"; c.MaxDepth = 3 }, ""},
		{"no key field", func(c *Config) { c.KeyField = "" }, "event.key-field: must be set"},
		{"no id field", func(c *Config) { c.IDField = "" }, "event.id-field: must be set"},
		{"empty path name", func(c *Config) { c.KeyField = "a..b" }, `event.key-field: "a..b" has an empty field name`},
		{"leading dot", func(c *Config) { c.IDField = ".id" }, "event.id-field"},
		{"zero body", func(c *Config) { c.MaxBodyBytes = 0 }, "event.max-body-bytes must be positive, got 0"},
		{"negative event", func(c *Config) { c.MaxEventBytes = -1 }, "event.max-event-bytes must be positive, got -1"},
		{"zero depth", func(c *Config) { c.MaxDepth = 0 }, "event.max-depth must be 1..1000, got 0"},
		{"depth too large", func(c *Config) { c.MaxDepth = 1001 }, "event.max-depth must be 1..1000, got 1001"},
		{"depth below key path", func(c *Config) { c.KeyField = "a.b.c"; c.MaxDepth = 2 }, "event.max-depth must be 3..1000, got 2"},
		{"zero batch", func(c *Config) { c.MaxBatch = 0 }, "event.max-batch must be positive, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.edit(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewParser(t *testing.T) {
	if _, err := NewParser(Config{}); err == nil || !strings.Contains(err.Error(), "event.key-field: must be set") {
		t.Errorf("NewParser(Config{}) error = %v", err)
	}
	if _, err := NewParser(Config{KeyField: "k", MaxBatch: -1}); err == nil {
		t.Error("NewParser accepted a negative MaxBatch")
	}
	p, err := NewParser(Config{KeyField: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Config(); got.IDField != "id" || got.MaxBatch != DefaultMaxBatch {
		t.Errorf("Config() = %+v, defaults not applied", got)
	}
}
