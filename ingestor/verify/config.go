package verify

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// DefaultWait is the default of --wait.
const DefaultWait = 30 * time.Second

// Config configures a verification.
type Config struct {
	// SinkDir is the file sink's directory, or a parent of several: every
	// sink file under it (named pPPPP-sSS-N.ndjson or .ndjson.open) is read;
	// other files, a record kept there among them, are not.
	SinkDir string
	// Record is the bench's record file.
	Record string
	// Wait bounds how long to re-read the sink while acknowledged events
	// are missing from it; 0 reads it once.
	Wait time.Duration
	// FailOnDuplicates makes duplicates a failure.
	FailOnDuplicates bool
}

// RegisterFlags registers the verify flags and sets their defaults.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.SinkDir, "sink-dir", "", "directory of the file sink (or a parent of several), read recursively")
	fs.StringVar(&c.Record, "record", "", "record file written by 'eventingestor bench --record'")
	fs.DurationVar(&c.Wait, "wait", DefaultWait, "re-read the sink for up to this long while acknowledged events are missing")
	fs.BoolVar(&c.FailOnDuplicates, "fail-on-duplicates", false, "fail if an event is in the sink more than once")
}

// Validate reports every invalid setting.
func (c *Config) Validate() error {
	var errs []error
	if c.SinkDir == "" {
		errs = append(errs, errors.New("--sink-dir must be set"))
	}
	if c.Record == "" {
		errs = append(errs, errors.New("--record must be set"))
	}
	if c.Wait < 0 {
		errs = append(errs, fmt.Errorf("--wait must not be negative, not %s", c.Wait))
	}
	return errors.Join(errs...)
}
