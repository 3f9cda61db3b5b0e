package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestFlags(t *testing.T) {
	var cfg Config
	fs := pflag.NewFlagSet("verify", pflag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if cfg.Wait != DefaultWait || cfg.FailOnDuplicates {
		t.Errorf("defaults = %+v", cfg)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--sink-dir must be set") ||
		!strings.Contains(err.Error(), "--record must be set") {
		t.Errorf("Validate of the defaults = %v, want --sink-dir and --record required", err)
	}
	if err := fs.Parse([]string{"--sink-dir", "d", "--record", "r", "--wait", "1m", "--fail-on-duplicates"}); err != nil {
		t.Fatal(err)
	}
	want := Config{SinkDir: "d", Record: "r", Wait: time.Minute, FailOnDuplicates: true}
	if cfg != want {
		t.Errorf("parsed = %+v, want %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	cfg.Wait = -time.Second
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--wait must not be negative") {
		t.Errorf("negative wait: %v", err)
	}
}
