package bench

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCountLines(t *testing.T) {
	buf := make([]byte, 4) // smaller than the bodies, to cross reads
	for body, want := range map[string]int64{
		"":                       0,
		`{"a":1}`:                1,
		"{\"a\":1}\n":            1,
		"{}\n{}\n{}\n":           3,
		"{}\n{}\n{}":             3,
		strings.Repeat("x\n", 9): 9,
	} {
		got, err := countLines(iotest.OneByteReader(strings.NewReader(body)), buf)
		if err != nil || got != want {
			t.Errorf("countLines(%q) = %d, %v, want %d", body, got, err, want)
		}
	}
	if _, err := countLines(iotest.ErrReader(io.ErrUnexpectedEOF), buf); err == nil {
		t.Error("countLines hid a read error")
	}
}

func TestBareServer(t *testing.T) {
	url, stop := StartBareServer()
	defer stop()
	for body, want := range map[string]string{
		`{"id":"1"}`:                   `{"accepted":1}`,
		"{\"id\":\"1\"}\n{}\n":         `{"accepted":2}`,
		strings.Repeat("{}\n", 100000): `{"accepted":100000}`,
	} {
		resp, err := http.Post(url+EventsPath, contentTypeNDJSON, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || string(got) != want {
			t.Errorf("POST of %d bytes: %d %s, want 202 %s", len(body), resp.StatusCode, got, want)
		}
	}
	resp, err := http.Get(url + EventsPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", resp.StatusCode)
	}
}
