package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/spf13/pflag"
)

// Record is one event handed to a sink.
type Record struct {
	// ID is the event id, the de-duplication key.
	ID string
	// Key is the partition key.
	Key []byte
	// Slot is the ring slot of the key.
	Slot uint16
	// Epoch is the ring epoch the event was accepted under.
	Epoch uint64
	// ReceivedAt is when the event was received, in unix nanoseconds.
	ReceivedAt int64
	// Data is the event's JSON exactly as received.
	Data []byte
	// OneLine says that Data holds no CR or LF byte (wal.Record.OneLine),
	// so that line encoders can copy it without looking for them. False
	// makes them look.
	OneLine bool
}

// Batch is what a shard's flusher hands to a sink in one Write. The records
// and their byte slices are only valid during the call.
type Batch struct {
	// Partition and Shard name the flusher that sends the batch. Records of
	// one (Partition, Shard) arrive in log order, batch after batch.
	Partition int
	Shard     int
	Records   []Record
}

// Sink is a destination for events.
type Sink interface {
	// Write stores the batch and returns nil only once it is stored. It may
	// be called concurrently for different shards, never concurrently for
	// the same shard. A returned error makes the flusher retry the same
	// batch with backoff.
	Write(ctx context.Context, b Batch) error
	// Close releases resources; no Write follows it.
	Close() error
}

// Type names a sink implementation.
type Type string

// The sink types.
const (
	TypeLog     Type = "log"
	TypeFile    Type = "file"
	TypeWebhook Type = "webhook"
)

// WebhookAuthorizationEnv is the environment variable that holds the value
// of the webhook sink's Authorization header (see
// [WebhookConfig.Authorization]). It is not a flag: secrets never go on
// command lines.
const WebhookAuthorizationEnv = "EVENTINGESTOR_SINK_WEBHOOK_AUTHORIZATION"

// minWebhookTimeout is the smallest valid WebhookConfig.Timeout.
const minWebhookTimeout = 100 * time.Millisecond

// Config selects and configures the sink of a partition.
type Config struct {
	Type    Type
	File    FileConfig
	Webhook WebhookConfig
}

// FileConfig configures the file sink.
type FileConfig struct {
	// Dir is where the NDJSON files are written.
	Dir string
	// MaxBytes rotates a file once it reaches this size.
	MaxBytes int64
	// MaxAge rotates a file once it has been open this long.
	MaxAge time.Duration
}

// WebhookConfig configures the webhook sink.
type WebhookConfig struct {
	// URL is the absolute http or https URL the batches are POSTed to. It
	// must not carry credentials (user:password@): it is a flag, and
	// flags show up in process listings.
	URL string
	// Timeout bounds one request, from connecting to reading the response.
	Timeout time.Duration
	// Authorization, if not empty, is sent as the Authorization header of
	// every request (e.g. "Bearer <token>"). It is not a flag: main reads it
	// from the environment variable EVENTINGESTOR_SINK_WEBHOOK_AUTHORIZATION
	// ([WebhookAuthorizationEnv]), which a Kubernetes Secret populates.
	Authorization string
}

// RegisterFlags registers the sink flags.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	c.Type = TypeFile
	fs.Var((*typeValue)(&c.Type), "sink.type",
		`sink type: "log" (NDJSON on stdout), "file" (rotated NDJSON files) or "webhook" (HTTP POST of NDJSON batches)`)
	fs.StringVar(&c.File.Dir, "sink.file.dir", "", "directory of the file sink (default: DATA_DIR/sink)")
	fs.Int64Var(&c.File.MaxBytes, "sink.file.max-bytes", 64<<20, "rotate a file sink file at this size")
	fs.DurationVar(&c.File.MaxAge, "sink.file.max-age", time.Hour, "rotate a file sink file after this long")
	fs.StringVar(&c.Webhook.URL, "sink.webhook.url", "",
		"http or https URL the webhook sink POSTs batches to, without credentials; the Authorization header, if any, "+
			"is read from the environment variable "+WebhookAuthorizationEnv+", never from a flag")
	fs.DurationVar(&c.Webhook.Timeout, "sink.webhook.timeout", 10*time.Second,
		"timeout of one webhook sink request, response included (at least 100ms)")
}

// Validate reports invalid settings.
func (c *Config) Validate() error {
	switch c.Type {
	case TypeLog:
		return nil
	case TypeFile:
		var errs []error
		if c.File.Dir == "" {
			errs = append(errs, errors.New("sink.file.dir must be set for the file sink"))
		}
		if c.File.MaxBytes < 4096 {
			errs = append(errs, fmt.Errorf("sink.file.max-bytes must be at least 4096, not %d", c.File.MaxBytes))
		}
		if c.File.MaxAge < time.Second {
			errs = append(errs, fmt.Errorf("sink.file.max-age must be at least 1s, not %s", c.File.MaxAge))
		}
		return errors.Join(errs...)
	case TypeWebhook:
		return c.Webhook.validate()
	}
	return fmt.Errorf("unknown sink type %q (want %q, %q or %q)", c.Type, TypeLog, TypeFile, TypeWebhook)
}

// validate reports invalid webhook settings.
func (c *WebhookConfig) validate() error {
	var errs []error
	if err := validateWebhookURL(c.URL); err != nil {
		errs = append(errs, err)
	}
	if c.Timeout < minWebhookTimeout {
		errs = append(errs, fmt.Errorf("sink.webhook.timeout must be at least %s, not %s", minWebhookTimeout, c.Timeout))
	}
	if err := validateAuthorization(c.Authorization); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// validateWebhookURL checks that s is an absolute http or https URL with a
// host and without credentials.
func validateWebhookURL(s string) error {
	if s == "" {
		return errors.New("sink.webhook.url must be set for the webhook sink")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("sink.webhook.url is invalid: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("sink.webhook.url must be an absolute http or https URL, not %q", s)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("sink.webhook.url %q has no host", s)
	}
	if u.User != nil {
		// Not quoted: it holds a secret.
		return fmt.Errorf("sink.webhook.url must not contain credentials (user:password@); "+
			"pass an Authorization header value in %s instead", WebhookAuthorizationEnv)
	}
	return nil
}

// validateAuthorization checks that s can be sent as a header value. The
// messages never quote s, a secret.
func validateAuthorization(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return fmt.Errorf("%s has a control character (0x%02x) at byte %d, "+
				"which a header value cannot hold (a trailing newline from the Secret?)", WebhookAuthorizationEnv, c, i)
		}
	}
	if s != "" && (isSpaceOrTab(s[0]) || isSpaceOrTab(s[len(s)-1])) {
		return fmt.Errorf("%s starts or ends with whitespace, which HTTP drops from header values", WebhookAuthorizationEnv)
	}
	return nil
}

func isSpaceOrTab(c byte) bool { return c == ' ' || c == '\t' }

type typeValue Type

func (v *typeValue) String() string { return string(*v) }
func (v *typeValue) Set(s string) error {
	switch Type(s) {
	case TypeLog, TypeFile, TypeWebhook:
		*v = typeValue(s)
		return nil
	}
	return fmt.Errorf("unknown sink type %q (want %q, %q or %q)", s, TypeLog, TypeFile, TypeWebhook)
}
func (v *typeValue) Type() string { return "sinkType" }

// Options are the collaborators of a sink.
type Options struct {
	// Partition is the partition the sink serves; file names carry it.
	Partition int
	Logger    *slog.Logger
	// Now is the clock (file rotation by age); default time.Now.
	Now func() time.Time
}

// New builds the sink that cfg selects. cfg must be valid.
func New(cfg Config, opts Options) (Sink, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch cfg.Type {
	case TypeLog:
		return NewLog(nil), nil
	case TypeFile:
		return NewFile(cfg.File, opts)
	case TypeWebhook:
		return NewWebhook(cfg.Webhook, opts)
	}
	return nil, fmt.Errorf("unknown sink type %q", cfg.Type)
}
