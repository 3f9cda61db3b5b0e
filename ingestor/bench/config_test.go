package bench

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func parseFlags(t *testing.T, args ...string) Config {
	t.Helper()
	var cfg Config
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return cfg
}

func TestDefaults(t *testing.T) {
	cfg := parseFlags(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults are invalid: %v", err)
	}
	want := Config{
		Targets: []string{DefaultTarget}, Events: 100000, Concurrency: 2000, Batch: 1, Keys: 2,
		Retry: true, MaxAttempts: 20, Timeout: 30 * time.Second, Progress: true,
	}
	if !slices.Equal(cfg.Targets, want.Targets) {
		t.Errorf("targets = %v, want %v", cfg.Targets, want.Targets)
	}
	cfg.Targets = want.Targets
	if !equalConfig(cfg, want) {
		t.Errorf("defaults = %+v, want %+v", cfg, want)
	}
}

func equalConfig(a, b Config) bool {
	return slices.Equal(a.Targets, b.Targets) && a.Events == b.Events && a.Concurrency == b.Concurrency &&
		a.Batch == b.Batch && a.Keys == b.Keys && a.Record == b.Record && a.Retry == b.Retry &&
		a.MaxAttempts == b.MaxAttempts && a.Timeout == b.Timeout && a.Duration == b.Duration &&
		a.Seed == b.Seed && a.RunID == b.RunID && a.Progress == b.Progress && a.Baseline == b.Baseline
}

func TestTargetsRepeatableAndCommaSeparated(t *testing.T) {
	cfg := parseFlags(t, "--target", "http://a:1,http://b:2", "--target=https://c", "--progress=false", "--retry=false")
	if want := []string{"http://a:1", "http://b:2", "https://c"}; !slices.Equal(cfg.Targets, want) {
		t.Errorf("targets = %v, want %v", cfg.Targets, want)
	}
	if cfg.Progress || cfg.Retry {
		t.Errorf("--progress=false --retry=false gave %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	if got := eventsURLs([]string{"http://a:1/", "http://b/base"}); !slices.Equal(got, []string{"http://a:1/v1/events", "http://b/base/v1/events"}) {
		t.Errorf("eventsURLs = %v", got)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := parseFlags(t, "--target", "localhost:8080", "--target", "http://", "--target", "http://x/?a=1",
		"--events", "0", "--concurrency", "0", "--batch", "1000000", "--keys", "0",
		"--max-attempts", "0", "--timeout", "0s", "--run-id", "a-b")
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted an invalid configuration")
	}
	for _, want := range []string{
		`--target "localhost:8080" must be an http:// or https:// URL`,
		`--target "http://" has no host`,
		`without query or fragment`,
		"--events must be at least 1 (or set --duration), not 0",
		"--concurrency must be between 1 and 100000, not 0",
		"--batch must be between 1 and 100000, not 1000000",
		"--keys must be at least 1, not 0",
		"--max-attempts must be at least 1, not 0",
		"--timeout must be positive, not 0s",
		`--run-id "a-b" may only hold letters, digits and '_', not '-'`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestValidateDuration(t *testing.T) {
	cfg := parseFlags(t, "--events", "0", "--duration", "10s")
	if err := cfg.Validate(); err != nil {
		t.Errorf("--duration without --events: %v", err)
	}
	cfg.Duration = -time.Second
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--duration must not be negative") {
		t.Errorf("negative duration: %v", err)
	}
	cfg = parseFlags(t, "--target=")
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--target must name at least one server") {
		t.Errorf("no target: %v", err)
	}
}

func TestResolveDefaults(t *testing.T) {
	cfg := resolveDefaults(Config{})
	if cfg.Seed == 0 || len(cfg.RunID) != 8 || validateRunID(cfg.RunID) != nil {
		t.Errorf("resolved seed %d, run id %q", cfg.Seed, cfg.RunID)
	}
	if kept := resolveDefaults(Config{Seed: 5, RunID: "x"}); kept.Seed != 5 || kept.RunID != "x" {
		t.Errorf("explicit seed and run id were replaced: %+v", kept)
	}
}
