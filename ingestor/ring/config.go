package ring

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// DefaultPollInterval is how often a [File] source re-reads its file unless
// configured otherwise.
const DefaultPollInterval = time.Second

// FileConfig configures a [File] ring source.
type FileConfig struct {
	// Path is the JSON file holding the ring, e.g. the ring.json key of
	// the ring ConfigMap mounted as a volume.
	Path string
	// PollInterval is how often the file is re-read; 0 means
	// DefaultPollInterval.
	PollInterval time.Duration
}

// RegisterFlags registers the flags ring.file and ring.poll-interval on fs,
// with their defaults.
func (c *FileConfig) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Path, "ring.file", "", "JSON file holding the ring (the ring.json key of the ring ConfigMap)")
	fs.DurationVar(&c.PollInterval, "ring.poll-interval", DefaultPollInterval, "how often the ring file is re-read")
}

// Validate reports whether c is usable: Path must be set and PollInterval
// must not be negative.
func (c *FileConfig) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("ring.file must be set"))
	}
	if c.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("ring.poll-interval must not be negative, got %s", c.PollInterval))
	}
	return errors.Join(errs...)
}
