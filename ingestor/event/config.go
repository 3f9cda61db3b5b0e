package event

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// Defaults of [Config].
const (
	DefaultIDField       = "id"
	DefaultMaxBodyBytes  = 8 << 20
	DefaultMaxEventBytes = 1 << 20
	DefaultMaxDepth      = 32
	DefaultMaxBatch      = 10000
)

// MaxDepthLimit is the largest allowed Config.MaxDepth. It bounds the
// recursion of the parser.
const MaxDepthLimit = 1000

// Config configures a [Parser].
type Config struct {
	// IDField is the field holding the event id (default "id").
	IDField string
	// KeyField is the field holding the partition key (required), e.g.
	// "user_id". A dotted path such as "device.serial" addresses a field of
	// a nested object; field names containing dots cannot be addressed.
	// IDField is a path in the same way.
	KeyField string
	// MaxBodyBytes bounds the request body, both as received and after
	// decompression (default 8 MiB).
	MaxBodyBytes int64
	// MaxEventBytes bounds the size of one event (default 1 MiB).
	MaxEventBytes int
	// MaxDepth bounds the nesting of objects and arrays in an event; the
	// event object itself is at depth 1 (default 32, at most
	// MaxDepthLimit).
	MaxDepth int
	// MaxBatch bounds the number of events in a body (default 10000).
	MaxBatch int
}

// RegisterFlags registers the event.* flags on fs, with their defaults.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.IDField, "event.id-field", DefaultIDField, "field holding the event id (dotted path for nested fields)")
	fs.StringVar(&c.KeyField, "event.key-field", "", "field holding the partition key, required (dotted path for nested fields)")
	fs.Int64Var(&c.MaxBodyBytes, "event.max-body-bytes", DefaultMaxBodyBytes, "largest request body in bytes, before and after decompression")
	fs.IntVar(&c.MaxEventBytes, "event.max-event-bytes", DefaultMaxEventBytes, "largest event in bytes")
	fs.IntVar(&c.MaxDepth, "event.max-depth", DefaultMaxDepth, "deepest nesting of objects and arrays in an event")
	fs.IntVar(&c.MaxBatch, "event.max-batch", DefaultMaxBatch, "most events in one request")
}

// ApplyDefaults sets every zero field except KeyField to its default.
func (c *Config) ApplyDefaults() {
	if c.IDField == "" {
		c.IDField = DefaultIDField
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxEventBytes == 0 {
		c.MaxEventBytes = DefaultMaxEventBytes
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = DefaultMaxDepth
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
}

// Validate reports whether c is usable as is (it does not apply defaults).
func (c *Config) Validate() error {
	var errs []error
	idPath, err := splitPath(c.IDField)
	if err != nil {
		errs = append(errs, fmt.Errorf("event.id-field: %w", err))
	}
	keyPath, err := splitPath(c.KeyField)
	if err != nil {
		errs = append(errs, fmt.Errorf("event.key-field: %w", err))
	}
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("event.max-body-bytes must be positive, got %d", c.MaxBodyBytes))
	}
	if c.MaxEventBytes <= 0 {
		errs = append(errs, fmt.Errorf("event.max-event-bytes must be positive, got %d", c.MaxEventBytes))
	}
	if need := max(len(idPath), len(keyPath), 1); c.MaxDepth < need || c.MaxDepth > MaxDepthLimit {
		errs = append(errs, fmt.Errorf("event.max-depth must be %d..%d, got %d", need, MaxDepthLimit, c.MaxDepth))
	}
	if c.MaxBatch <= 0 {
		errs = append(errs, fmt.Errorf("event.max-batch must be positive, got %d", c.MaxBatch))
	}
	return errors.Join(errs...)
}

// splitPath splits a dotted field path into its names.
func splitPath(field string) ([]string, error) {
	if field == "" {
		return nil, errors.New("must be set")
	}
	names := strings.Split(field, ".")
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("%q has an empty field name", field)
		}
	}
	return names, nil
}
