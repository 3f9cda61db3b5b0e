package dataplane

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// servePod is one `eventingestor serve` process of a loopback cluster.
type servePod struct {
	t         *testing.T
	partition int
	args      []string
	env       []string
	url       string
	cmd       *exec.Cmd
	logFile   string
}

// newServePods describes a cluster of n serve processes, partition p on
// 127.0.p.1:port, with data under dir/pP and the given extra flags.
func newServePods(t *testing.T, n int, dir string, extra ...string) []*servePod {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	port := freePort(t, n)
	pods := make([]*servePod, n)
	for p := range n {
		host := partitionHost(p)
		pods[p] = &servePod{
			t: t, partition: p,
			url:     fmt.Sprintf("http://%s:%d", host, port),
			logFile: filepath.Join(dir, fmt.Sprintf("p%d.log", p)),
			args: append([]string{
				"serve",
				"--partition", strconv.Itoa(p),
				"--partitions", strconv.Itoa(n),
				"--listen", fmt.Sprintf("%s:%d", host, port),
				"--peer-url-template", fmt.Sprintf("http://127.0.{partition}.1:%d", port),
				"--data-dir", filepath.Join(dir, fmt.Sprintf("p%d", p)),
				"--event.key-field", "user_id",
				"--shards", "2",
				"--flush.interval", "100ms",
				"--shutdown-timeout", "20s",
			}, extra...),
		}
	}
	return pods
}

// start starts the process and waits until it is ready.
func (p *servePod) start() {
	p.t.Helper()
	logf, err := os.OpenFile(p.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	p.cmd = exec.Command(binary, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.Env = append(os.Environ(), p.env...)
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	_ = logf.Close()
	waitFor(p.t, fmt.Sprintf("partition %d ready", p.partition), func() bool {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// kill9 kills the process without warning.
func (p *servePod) kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// stop sends SIGTERM and waits for a clean exit.
func (p *servePod) stop() {
	p.t.Helper()
	if p.cmd == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			p.t.Errorf("partition %d exited with %v after SIGTERM; log:\n%s", p.partition, err, p.logTail())
		}
	case <-time.After(60 * time.Second):
		p.kill9()
		p.t.Errorf("partition %d did not exit after SIGTERM", p.partition)
	}
}

// rssBytes is the process's resident memory.
func (p *servePod) rssBytes() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}

func (p *servePod) logTail() string {
	b, _ := os.ReadFile(p.logFile)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func urls(pods []*servePod) []string {
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = p.url
	}
	return out
}

func stopAll(pods []*servePod) {
	for _, p := range pods {
		p.stop()
	}
}

var _ = context.Background
