package event

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"strings"
	"sync"
)

// Parser parses ingest request bodies into events. It is safe for
// concurrent use.
type Parser struct {
	cfg    Config
	fields [numFields]field // id and key paths
	ids    sync.Pool        // *idTable
	gunzip sync.Pool        // *gunzipper
}

// NewParser returns a Parser for cfg, after applying defaults to it.
func NewParser(cfg Config) (*Parser, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("event parser: %w", err)
	}
	p := &Parser{cfg: cfg}
	p.fields[fieldID] = newField(pathBytes(cfg.IDField))
	p.fields[fieldKey] = newField(pathBytes(cfg.KeyField))
	p.ids.New = func() any { return new(idTable) }
	p.gunzip.New = func() any { return new(gunzipper) }
	return p, nil
}

// Config returns the configuration of p, with defaults applied.
func (p *Parser) Config() Config { return p.cfg }

// Parse reads a request body, decompressing it according to
// contentEncoding (see [Parser.ReadBody]), and parses it according to
// contentType (see [Parser.ParseBytes]).
//
// A rejected body yields an *[Error]; any other error comes from reading
// body or from generating ids.
func (p *Parser) Parse(body io.Reader, contentType, contentEncoding string) ([]Event, error) {
	f, err := mediaFormat(contentType)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := p.ReadBody(&buf, body, contentEncoding); err != nil {
		return nil, err
	}
	return p.parse(nil, buf.Bytes(), f)
}

// ParseBytes parses a body that has already been read and decompressed.
//
// contentType selects the format: application/json (or empty) for a single
// JSON object or a JSON array of objects; application/x-ndjson or
// application/jsonl for one object per line, where blank lines are ignored,
// lines may end with CRLF and the last newline is optional. A charset
// parameter, if any, must be utf-8; other parameters are ignored.
//
// The batch is validated whole: if any event is bad, ParseBytes returns no
// events and an *[Error] naming the first bad event. The events alias body.
func (p *Parser) ParseBytes(body []byte, contentType string) ([]Event, error) {
	return p.ParseBytesInto(nil, body, contentType)
}

// ParseBytesInto is [Parser.ParseBytes] storing the events in dst's
// storage when it is large enough (dst's length is ignored), so that a
// caller can reuse one slice for many bodies. The events alias body.
func (p *Parser) ParseBytesInto(dst []Event, body []byte, contentType string) ([]Event, error) {
	f, err := mediaFormat(contentType)
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > p.cfg.MaxBodyBytes {
		return nil, p.bodyTooLarge()
	}
	return p.parse(dst, body, f)
}

// format is a body format.
type format int

const (
	formatJSON format = iota
	formatNDJSON
)

// parse parses body in format f into dst's storage (or new storage if it
// is too small).
func (p *Parser) parse(dst []Event, body []byte, f format) ([]Event, error) {
	ids := p.ids.Get().(*idTable)
	defer func() {
		ids.reset()
		p.ids.Put(ids)
	}()
	b := batch{cfg: &p.cfg, sc: scanner{maxDepth: p.cfg.MaxDepth, fields: p.fields}, ids: ids, events: dst[:0]}
	var err error
	if f == formatNDJSON {
		err = b.parseNDJSON(body)
	} else {
		err = b.parseJSON(body)
	}
	if err != nil {
		return nil, err
	}
	if len(b.events) == 0 {
		return nil, Errorf(ReasonEmptyBatch, NoIndex, "the body holds no events")
	}
	if err := ids.assign(b.events); err != nil {
		return nil, err
	}
	return b.events, nil
}

// mediaFormat returns the format of a Content-Type.
func mediaFormat(contentType string) (format, error) {
	switch contentType { // fast path for the common exact values
	case "", "application/json":
		return formatJSON, nil
	case "application/x-ndjson", "application/jsonl":
		return formatNDJSON, nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, Errorf(ReasonUnsupportedMediaType, NoIndex, "invalid Content-Type %q: %v", contentType, err)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return 0, Errorf(ReasonUnsupportedMediaType, NoIndex, "charset %q is not supported, send UTF-8", cs)
	}
	switch mt {
	case "application/json":
		return formatJSON, nil
	case "application/x-ndjson", "application/jsonl":
		return formatNDJSON, nil
	}
	return 0, Errorf(ReasonUnsupportedMediaType, NoIndex,
		"Content-Type %q is not supported, use application/json or application/x-ndjson", mt)
}

func (p *Parser) bodyTooLarge() *Error {
	return Errorf(ReasonBodyTooLarge, NoIndex, "the body is larger than the limit of %d bytes", p.cfg.MaxBodyBytes)
}

// pathBytes splits a validated dotted field path.
func pathBytes(field string) [][]byte {
	names := strings.Split(field, ".")
	path := make([][]byte, len(names))
	for i, n := range names {
		path[i] = []byte(n)
	}
	return path
}
