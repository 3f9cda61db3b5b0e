package bench

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Defaults of the flags.
const (
	DefaultTarget      = "http://127.0.0.1:8080"
	DefaultEvents      = 100_000
	DefaultConcurrency = 2000
	DefaultBatch       = 1
	DefaultKeys        = 2
	DefaultMaxAttempts = 20
	DefaultTimeout     = 30 * time.Second
)

// Limits that Validate enforces.
const (
	MaxConcurrency = 100_000
	MaxBatch       = 100_000
	maxRunIDLen    = 64
)

// EventsPath is the ingest endpoint, relative to a target's base URL.
const EventsPath = "/v1/events"

// Config configures a load run. The zero value is not valid: set the
// defaults with RegisterFlags (and parse), or fill every field.
type Config struct {
	// Targets are the base URLs ("http://host:port") requests are spread
	// over, round-robin.
	Targets []string
	// Events is the number of events to send; ignored when Duration is set.
	Events int
	// Concurrency is the number of concurrent senders (and of keep-alive
	// connections).
	Concurrency int
	// Batch is the number of events per request; more than one is sent as
	// NDJSON.
	Batch int
	// Keys spreads user_id over this many users; 2 sends the seed's six
	// events exactly.
	Keys int
	// Record is the file the acknowledged events are written to, for
	// "eventingestor verify"; empty for none.
	Record string
	// Retry sends a request again after a 429, a 503 or a connection error.
	Retry bool
	// MaxAttempts bounds the attempts of one request, the first included.
	MaxAttempts int
	// Timeout bounds one attempt, reading the response included.
	Timeout time.Duration
	// Duration, if set, runs for this long instead of sending Events events.
	Duration time.Duration
	// Seed picks the events; 0 picks a time-based seed.
	Seed int64
	// RunID prefixes every event id ("<RunID>-<n>"); empty picks 8 random
	// hex digits. Letters, digits and '_' only, so that the ids of one run
	// never share a prefix with another's.
	RunID string
	// Progress shows a progress bar on stderr, if stderr is a terminal.
	Progress bool
	// Baseline first runs the same load against a bare net/http server in
	// this process and reports both runs side by side.
	Baseline bool
}

// RegisterFlags registers the bench flags and sets their defaults.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&c.Targets, "target", []string{DefaultTarget},
		"base URL of a server to send to (repeatable or comma-separated; requests go round-robin)")
	fs.IntVar(&c.Events, "events", DefaultEvents, "number of events to send (ignored with --duration)")
	fs.IntVar(&c.Concurrency, "concurrency", DefaultConcurrency, "concurrent senders, each with its own keep-alive connection")
	fs.IntVar(&c.Batch, "batch", DefaultBatch, "events per request; more than 1 is sent as NDJSON")
	fs.IntVar(&c.Keys, "keys", DefaultKeys, `spread user_id over this many users (2: the seed's six events exactly)`)
	fs.StringVar(&c.Record, "record", "", "write the acknowledged events to this file, for 'eventingestor verify'")
	fs.BoolVar(&c.Retry, "retry", true, "retry a request after 429, 503 or a connection error (honouring Retry-After)")
	fs.IntVar(&c.MaxAttempts, "max-attempts", DefaultMaxAttempts, "attempts of one request with --retry, the first included")
	fs.DurationVar(&c.Timeout, "timeout", DefaultTimeout, "timeout of one request attempt")
	fs.DurationVar(&c.Duration, "duration", 0, "send for this long instead of --events events")
	fs.Int64Var(&c.Seed, "seed", 0, "seed of the event picks (0: time-based); the same seed sends the same events")
	fs.StringVar(&c.RunID, "run-id", "", "prefix of the event ids, letters, digits and '_' (default: 8 random hex digits)")
	fs.BoolVar(&c.Progress, "progress", true, "show a progress bar on stderr when it is a terminal")
	fs.BoolVar(&c.Baseline, "baseline", false, "first run the same load against a bare net/http server and compare")
}

// Validate reports every invalid setting.
func (c *Config) Validate() error {
	var errs []error
	errs = append(errs, validateTargets(c.Targets)...)
	if c.Duration < 0 {
		errs = append(errs, fmt.Errorf("--duration must not be negative, not %s", c.Duration))
	}
	if c.Duration == 0 && c.Events < 1 {
		errs = append(errs, fmt.Errorf("--events must be at least 1 (or set --duration), not %d", c.Events))
	}
	errs = appendRange(errs, "--concurrency", c.Concurrency, 1, MaxConcurrency)
	errs = appendRange(errs, "--batch", c.Batch, 1, MaxBatch)
	if c.Keys < 1 {
		errs = append(errs, fmt.Errorf("--keys must be at least 1, not %d", c.Keys))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("--max-attempts must be at least 1, not %d", c.MaxAttempts))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout must be positive, not %s", c.Timeout))
	}
	if err := validateRunID(c.RunID); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// appendRange appends an error if v is outside [lo, hi].
func appendRange(errs []error, flag string, v, lo, hi int) []error {
	if v < lo || v > hi {
		return append(errs, fmt.Errorf("%s must be between %d and %d, not %d", flag, lo, hi, v))
	}
	return errs
}

// validateTargets checks that every target is an http(s) base URL.
func validateTargets(targets []string) []error {
	if len(targets) == 0 {
		return []error{errors.New("--target must name at least one server")}
	}
	var errs []error
	for _, t := range targets {
		u, err := url.Parse(t)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("--target %q is not a URL: %w", t, err))
		case u.Scheme != "http" && u.Scheme != "https":
			errs = append(errs, fmt.Errorf("--target %q must be an http:// or https:// URL", t))
		case u.Host == "":
			errs = append(errs, fmt.Errorf("--target %q has no host", t))
		case u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("--target %q must be a base URL, without query or fragment", t))
		}
	}
	return errs
}

// validateRunID checks that id (if set) can prefix event ids unescaped and
// unambiguously.
func validateRunID(id string) error {
	if id == "" {
		return nil
	}
	if len(id) > maxRunIDLen {
		return fmt.Errorf("--run-id must be at most %d characters, not %d", maxRunIDLen, len(id))
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isRunIDByte(c) {
			return fmt.Errorf("--run-id %q may only hold letters, digits and '_', not %q", id, c)
		}
	}
	return nil
}

func isRunIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// eventsURLs returns the ingest URL of every target.
func eventsURLs(targets []string) []string {
	urls := make([]string, len(targets))
	for i, t := range targets {
		urls[i] = strings.TrimRight(t, "/") + EventsPath
	}
	return urls
}
