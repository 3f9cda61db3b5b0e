//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
	"github.com/eventingestor/eventingestor/controllers"
	ingestverify "github.com/eventingestor/eventingestor/ingestor/verify"
)

// suiteEnv is where the suite finds the cluster and its tools.
type suiteEnv struct {
	Root       string // repository root
	State      string // the cluster's state folder (hack/local-k8s)
	Kubeconfig string
	Kubectl    string
	Kustomize  string
	Helm       string
	Binary     string // the static eventingestor binary that is also in the image
	Image      string // the image the operator and the clusters run
	VolumesDir string // the local-path provisioner's volumes: VolumesDir/NAMESPACE/CLAIM_PV
	LogsDir    string // the cluster components' logs
	Containerd string // containerd's socket
	NodeName   string
	BringUp    time.Duration // hack/local-k8s/up.sh, as it reported
	WorkDir    string        // bench records, rendered manifests
	Summary    string        // file the summary is also written to, if set

	cl client.Client
}

// loadEnv reads the cluster's cluster.env (written by hack/local-k8s/up.sh)
// and the E2E_* variables.
func loadEnv() (*suiteEnv, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return nil, err
	}
	e := &suiteEnv{
		Root:    root,
		State:   envOr("E2E_STATE", "/var/lib/eventingestor-e2e"),
		Binary:  envOr("E2E_BINARY", filepath.Join(root, "bin", "e2e", "eventingestor")),
		Image:   envOr("E2E_IMAGE", "docker.io/library/eventingestor:e2e"),
		WorkDir: envOr("E2E_WORKDIR", filepath.Join(root, "bin", "e2e", "work")),
		Summary: os.Getenv("E2E_SUMMARY"),
	}
	e.Kustomize = os.Getenv("E2E_KUSTOMIZE")
	e.Helm = os.Getenv("E2E_HELM")
	if e.Kustomize == "" || e.Helm == "" {
		return nil, errors.New("set E2E_KUSTOMIZE and E2E_HELM to the kustomize and helm binaries (make e2e does)")
	}
	vars, err := readEnvFile(filepath.Join(e.State, "cluster.env"))
	if err != nil {
		return nil, fmt.Errorf("the local cluster is not up (run make cluster-up, or make e2e): %w", err)
	}
	e.Kubeconfig = vars["KUBECONFIG"]
	e.Kubectl = vars["KUBECTL"]
	e.VolumesDir = vars["VOLUMES_DIR"]
	e.LogsDir = vars["LOGS_DIR"]
	e.Containerd = vars["CONTAINERD_ADDRESS"]
	e.NodeName = vars["NODE_NAME"]
	if s, err := strconv.Atoi(vars["BRINGUP_SECONDS"]); err == nil {
		e.BringUp = time.Duration(s) * time.Second
	}
	for _, f := range []string{e.Kubeconfig, e.Kubectl, e.Kustomize, e.Helm, e.Binary} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("missing file: %w", err)
		}
	}
	return e, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func readEnvFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			vars[k] = v
		}
	}
	return vars, sc.Err()
}

// newClient is a controller-runtime client for the cluster, with this
// project's API registered.
func (e *suiteEnv) newClient() (client.Client, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 50, 100
	scheme, err := controllers.NewScheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: scheme})
}

// ---------------------------------------------------------------------------------------------
// Commands.

// run runs a command with a timeout and returns its combined output.
func run(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	// kubectl and Helm keep their caches and configuration in the work folder, not in $HOME.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.Kubeconfig, "KUBECACHEDIR="+filepath.Join(env.WorkDir, "kube-cache"),
		"HELM_CACHE_HOME="+filepath.Join(env.WorkDir, "helm", "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(env.WorkDir, "helm", "config"),
		"HELM_DATA_HOME="+filepath.Join(env.WorkDir, "helm", "data"))
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (timed out after %s)", err, timeout)
	}
	return string(out), err
}

// mustRun runs a command and fails the spec if it fails.
func mustRun(timeout time.Duration, name string, args ...string) string {
	out, err := run(timeout, name, args...)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "%s %s:\n%s", filepath.Base(name), strings.Join(args, " "), out)
	return out
}

func kubectl(args ...string) (string, error) { return run(5*time.Minute, env.Kubectl, args...) }

func mustKubectl(args ...string) string {
	out, err := kubectl(args...)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "kubectl %s:\n%s", strings.Join(args, " "), out)
	return out
}

// ---------------------------------------------------------------------------------------------
// Timings and the summary.

type summaryT struct {
	mu      sync.Mutex
	steps   []stepTiming
	figures []string // "name: value" lines
	benches []*benchResult
}

type stepTiming struct {
	name string
	took time.Duration
}

var summary = &summaryT{}

// timed runs f as a step: By(name), then prints and records how long it took.
func timed(name string, f func()) time.Duration {
	By(name)
	t0 := time.Now()
	f()
	d := time.Since(t0)
	summary.mu.Lock()
	summary.steps = append(summary.steps, stepTiming{name, d})
	summary.mu.Unlock()
	fmt.Fprintf(GinkgoWriter, "[e2e] step took %-9s %s\n", d.Round(10*time.Millisecond), name)
	return d
}

// figure records a headline number of the run.
func figure(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	summary.mu.Lock()
	summary.figures = append(summary.figures, s)
	summary.mu.Unlock()
	fmt.Fprintf(GinkgoWriter, "[e2e] %s\n", s)
}

func (s *summaryT) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "==== e2e summary (Kubernetes on this machine) ====\n")
	for _, f := range s.figures {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	if len(s.benches) > 0 {
		fmt.Fprintf(&b, "  bench runs (eventingestor bench → Service ClusterIP from the host; verify over the volumes):\n")
		fmt.Fprintf(&b, "    %-34s %8s %7s %9s %9s %9s %7s %5s %5s %9s\n",
			"run", "acked", "retries", "events/s", "p50", "p99", "elapsed", "lost", "dup", "reordered")
		for _, r := range s.benches {
			lost, dup, reord := "-", "-", "-"
			if v := r.Verify; v != nil {
				lost, dup, reord = strconv.Itoa(v.Lost), strconv.FormatInt(v.Duplicates, 10), strconv.Itoa(v.Reordered)
			}
			fmt.Fprintf(&b, "    %-34s %8d %7d %9.0f %9s %9s %7s %5s %5s %9s\n", r.Name, r.Acked, r.Retries,
				r.EventsPerSec, r.P50.Round(100*time.Microsecond), r.P99.Round(100*time.Microsecond),
				r.Elapsed.Round(100*time.Millisecond), lost, dup, reord)
		}
	}
	fmt.Fprintf(&b, "  steps:\n")
	for _, st := range s.steps {
		fmt.Fprintf(&b, "    %9s  %s\n", st.took.Round(10*time.Millisecond), st.name)
	}
	return b.String()
}

// ---------------------------------------------------------------------------------------------
// bench and verify.

// benchResult is what `eventingestor bench` reported (and what verify
// found, once it ran).
type benchResult struct {
	Name               string
	Record             string
	Output             string
	ExitErr            error
	Started, Finished  time.Time
	Acked, Sent        int64
	Requests, Retries  int64
	Elapsed            time.Duration
	EventsPerSec       float64
	P50, P90, P99, Max time.Duration
	Errors             string
	Verify             *ingestverify.Report
	VerifyOutput       string
	VerifyExitErr      error
}

// benchProc is a bench run in progress.
type benchProc struct {
	res  *benchResult
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

// startBench starts `eventingestor bench` against target; it records the
// acknowledged events in WorkDir/<name>.ndjson.
func startBench(name, target string, extra ...string) *benchProc {
	rec := filepath.Join(env.WorkDir, strings.NewReplacer(" ", "-", "/", "-", "→", "to").Replace(name)+".ndjson")
	args := append([]string{"bench", "--target", target, "--record", rec, "--progress=false"}, extra...)
	// The load generator shares the 2 cores with the cluster: niced like the builds.
	cmd := exec.Command("nice", append([]string{"-n", "10", env.Binary}, args...)...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	p := &benchProc{res: &benchResult{Name: name, Record: rec}, cmd: cmd, out: out, done: make(chan struct{})}
	fmt.Fprintf(GinkgoWriter, "[e2e] bench %q: %s %s\n", name, env.Binary, strings.Join(args, " "))
	Expect(cmd.Start()).To(Succeed())
	p.res.Started = time.Now()
	go func() {
		p.res.ExitErr = cmd.Wait()
		p.res.Finished = time.Now()
		close(p.done)
	}()
	return p
}

// running reports whether the bench is still running.
func (p *benchProc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// recordSize is the size of the record file so far (the bench writes it in
// 1 MiB chunks, about 10,000 acknowledged events each).
func (p *benchProc) recordSize() int64 {
	fi, err := os.Stat(p.res.Record)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// waitUnderLoad waits until events are being acknowledged: the first chunk
// of the record is written.
func (p *benchProc) waitUnderLoad() {
	EventuallyWithOffset(1, func() int64 { return p.recordSize() }, 90*time.Second, 100*time.Millisecond).
		Should(BeNumerically(">", 0), "the bench acknowledged nothing yet:\n%s", p.out)
	ExpectWithOffset(1, p.running()).To(BeTrue(), "the bench finished before the step could start:\n%s", p.out)
}

// wait waits for the bench to finish, parses its report and fails the spec
// unless every event sent was acknowledged.
func (p *benchProc) wait() *benchResult {
	select {
	case <-p.done:
	case <-time.After(10 * time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.done
		Fail("the bench did not finish within 10 minutes:\n" + p.out.String())
	}
	r := p.res
	r.Output = p.out.String()
	fmt.Fprintf(GinkgoWriter, "%s", r.Output)
	Expect(parseBench(r)).To(Succeed(), "unexpected bench output:\n%s", r.Output)
	summary.mu.Lock()
	summary.benches = append(summary.benches, r)
	summary.mu.Unlock()
	ExpectWithOffset(1, r.ExitErr).NotTo(HaveOccurred(), "bench %q failed:\n%s", r.Name, r.Output)
	ExpectWithOffset(1, r.Acked).To(Equal(r.Sent), "bench %q: not every event sent was acknowledged", r.Name)
	return r
}

var (
	reAcked      = regexp.MustCompile(`acknowledged\s+(\d+) of (\d+) events sent`)
	reRequests   = regexp.MustCompile(`requests\s+(\d+) \((\d+) retries\)`)
	reElapsed    = regexp.MustCompile(`elapsed\s+(\S+)`)
	reThroughput = regexp.MustCompile(`throughput\s+([\d.]+) events/s`)
	reLatency    = regexp.MustCompile(`latency\s+p50 (\S+)\s+p90 (\S+)\s+p99 (\S+)\s+max (\S+)`)
	reErrors     = regexp.MustCompile(`(?m)^\s+errors\s+(.*)$`)
)

func parseBench(r *benchResult) error {
	out := r.Output
	m := reAcked.FindStringSubmatch(out)
	if m == nil {
		return errors.New("no 'acknowledged' line")
	}
	r.Acked, _ = strconv.ParseInt(m[1], 10, 64)
	r.Sent, _ = strconv.ParseInt(m[2], 10, 64)
	if m = reRequests.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
		r.Retries, _ = strconv.ParseInt(m[2], 10, 64)
	}
	if m = reElapsed.FindStringSubmatch(out); m != nil {
		r.Elapsed, _ = time.ParseDuration(m[1])
	}
	if m = reThroughput.FindStringSubmatch(out); m != nil {
		r.EventsPerSec, _ = strconv.ParseFloat(m[1], 64)
	}
	m = reLatency.FindStringSubmatch(out)
	if m == nil {
		return errors.New("no 'latency' line")
	}
	for i, d := range []*time.Duration{&r.P50, &r.P90, &r.P99, &r.Max} {
		*d, _ = time.ParseDuration(m[i+1])
	}
	if m = reErrors.FindStringSubmatch(out); m != nil {
		r.Errors = strings.TrimSpace(m[1])
	}
	return nil
}

// verify runs `eventingestor verify` over the sink files under sinkDir
// against the bench's record and fails the spec on any lost or reordered
// event.
func verify(r *benchResult, sinkDir string) *ingestverify.Report {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.Binary, "verify", "--sink-dir", sinkDir, "--record", r.Record,
		"--wait", "2m", "--json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r.VerifyExitErr = cmd.Run()
	r.VerifyOutput = stdout.String() + stderr.String()
	rep := &ingestverify.Report{} // what `verify --json` prints, plus "ok" and "waited_seconds"
	ExpectWithOffset(1, json.Unmarshal(stdout.Bytes(), rep)).To(Succeed(),
		"verify printed no JSON report (exit: %v):\n%s", r.VerifyExitErr, r.VerifyOutput)
	r.Verify = rep
	fmt.Fprintf(GinkgoWriter, "[e2e] verify %q (run %s, %s): found %d of %d acknowledged, lost %d, duplicates %d, reordered %d, "+
		"unrecorded %d, key mismatches %d, %d sink files, %d reads\n", r.Name, rep.RunID, sinkDir, rep.Found, rep.Acknowledged,
		rep.Lost, rep.Duplicates, rep.Reordered, rep.Unrecorded, rep.KeyMismatches, rep.SinkFiles, rep.Reads)
	ExpectWithOffset(1, rep.Acknowledged).To(BeEquivalentTo(r.Acked), "the record holds another number of events than the bench acknowledged")
	ExpectWithOffset(1, rep.Lost).To(BeZero(), "acknowledged events are missing from the sink:\n%s", r.VerifyOutput)
	ExpectWithOffset(1, rep.Reordered).To(BeZero(), "per-key order violations in the sink:\n%s", r.VerifyOutput)
	ExpectWithOffset(1, rep.KeyMismatches).To(BeZero(), "events whose key in the sink differs from the one sent:\n%s", r.VerifyOutput)
	ExpectWithOffset(1, r.VerifyExitErr).NotTo(HaveOccurred(), "verify failed:\n%s", r.VerifyOutput)
	return rep
}

// ---------------------------------------------------------------------------------------------
// Cluster helpers.

func getCluster(ns, name string) *v1alpha1.EventIngestorCluster {
	c := &v1alpha1.EventIngestorCluster{}
	ExpectWithOffset(1, env.cl.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, c)).To(Succeed())
	return c
}

// serviceURL is the base URL of Service name: its ClusterIP, reached from
// the host through kube-proxy's rules.
func serviceURL(ns, name string) string {
	svc := &corev1.Service{}
	ExpectWithOffset(1, env.cl.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, svc)).To(Succeed())
	ExpectWithOffset(1, svc.Spec.ClusterIP).NotTo(BeEmpty())
	ExpectWithOffset(1, svc.Spec.ClusterIP).NotTo(Equal(corev1.ClusterIPNone))
	ExpectWithOffset(1, svc.Spec.Ports).NotTo(BeEmpty())
	return fmt.Sprintf("http://%s:%d", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
}

// sinkDir is the host folder that holds the volumes of the cluster's
// partitions (each one's file sink is in its sink/ subfolder): the local
// PersistentVolumes' paths, all under VolumesDir/NAMESPACE.
func sinkDir(ns, name string, partitions int) string {
	dir := filepath.Join(env.VolumesDir, ns)
	for p := range partitions {
		pvc := &corev1.PersistentVolumeClaim{}
		key := types.NamespacedName{Namespace: ns, Name: fmt.Sprintf("data-%s-%d", name, p)}
		ExpectWithOffset(1, env.cl.Get(context.Background(), key, pvc)).To(Succeed())
		ExpectWithOffset(1, pvc.Status.Phase).To(Equal(corev1.ClaimBound), "claim %s", key)
		pv := &corev1.PersistentVolume{}
		ExpectWithOffset(1, env.cl.Get(context.Background(), types.NamespacedName{Name: pvc.Spec.VolumeName}, pv)).To(Succeed())
		ExpectWithOffset(1, pv.Spec.Local).NotTo(BeNil(), "volume %s is not a local volume", pv.Name)
		ExpectWithOffset(1, pv.Spec.Local.Path).To(HavePrefix(dir+"/"), "volume %s", pv.Name)
		ExpectWithOffset(1, filepath.Join(pv.Spec.Local.Path, "sink")).To(BeADirectory(), "the file sink of partition %d", p)
	}
	return dir
}

// podReady reports whether the pod exists, is not being deleted and is Ready;
// it returns its UID.
func podReady(ns, name string) (types.UID, bool) {
	pod := &corev1.Pod{}
	if err := env.cl.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, pod); err != nil {
		return "", false
	}
	if pod.DeletionTimestamp != nil {
		return pod.UID, false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return pod.UID, c.Status == corev1.ConditionTrue
		}
	}
	return pod.UID, false
}

// printerColumns runs `kubectl get eic` and returns the header's columns and
// the cluster's row.
func printerColumns(ns, name string) (header, row []string) {
	out := mustKubectl("-n", ns, "get", "eic", name)
	fmt.Fprintf(GinkgoWriter, "%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	ExpectWithOffset(1, lines).To(HaveLen(2), "kubectl get eic printed:\n%s", out)
	return strings.Fields(lines[0]), strings.Fields(lines[1])
}

// dumpDiagnostics prints what helps to understand a failure: objects,
// events, the operator's and the partitions' logs.
func dumpDiagnostics(namespaces ...string) {
	w := GinkgoWriter
	fmt.Fprintf(w, "\n==== diagnostics ====\n")
	for _, args := range [][]string{
		{"get", "nodes", "-o", "wide"},
		{"get", "eic,statefulsets,pods,services,pvc", "-A", "-o", "wide"},
		{"get", "pv"},
	} {
		out, _ := kubectl(args...)
		fmt.Fprintf(w, "$ kubectl %s\n%s\n", strings.Join(args, " "), out)
	}
	for _, ns := range append([]string{"eventingestor-system", "eventingestor-helm"}, namespaces...) {
		if ns == "" {
			continue
		}
		out, _ := kubectl("-n", ns, "get", "events", "--sort-by=.lastTimestamp")
		fmt.Fprintf(w, "$ kubectl -n %s get events\n%s\n", ns, lastLines(out, 40))
		pods, _ := kubectl("-n", ns, "get", "pods", "-o", "name")
		for _, p := range strings.Fields(pods) {
			out, _ := kubectl("-n", ns, "logs", p, "--tail", "30", "--all-containers", "--prefix")
			fmt.Fprintf(w, "$ kubectl -n %s logs %s --tail 30\n%s\n", ns, p, out)
		}
	}
	fmt.Fprintf(w, "==== end of diagnostics ====\n")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ackedBetween counts the events of a bench record acknowledged between
// from and to.
func ackedBetween(record string, from, to time.Time) int {
	f, err := os.Open(record)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lo, hi := from.UnixNano(), to.UnixNano()
	for sc.Scan() {
		var e struct {
			Acked int64 `json:"acked"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Acked >= lo && e.Acked <= hi {
			n++
		}
	}
	ExpectWithOffset(1, sc.Err()).NotTo(HaveOccurred())
	return n
}

// containerPID is the host PID of a running container's main process, from
// the cluster's containerd (ctr tasks ls: TASK PID STATUS).
func containerPID(id string) int {
	out := mustRun(time.Minute, "ctr", "--address", env.Containerd, "--namespace", "k8s.io", "tasks", "ls")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == id && f[2] == "RUNNING" {
			pid, err := strconv.Atoi(f[1])
			ExpectWithOffset(1, err).NotTo(HaveOccurred())
			return pid
		}
	}
	Fail(fmt.Sprintf("container %s is not running:\n%s", id, out))
	return 0
}

// partitionBacklog is what a partition's /v1/status says about its unflushed
// events, for the record ("?" if it does not answer).
func partitionBacklog(podIP string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+podIP+":8080/v1/status", nil)
	if err != nil {
		return "?"
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	var st struct {
		BacklogEvents int64 `json:"backlogEvents"`
		BacklogBytes  int64 `json:"backlogBytes"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil {
		return "?"
	}
	return fmt.Sprintf("%d events, %d bytes", st.BacklogEvents, st.BacklogBytes)
}

// containerRestarts describes the restarts of the containers of the pods in
// ns ("" if none): how many and why the last one ended (OOMKilled, Error
// with exit code 137 for a SIGKILL, ...).
func containerRestarts(ns string) (desc string, oomKilled bool) {
	pods := &corev1.PodList{}
	ExpectWithOffset(1, env.cl.List(context.Background(), pods, client.InNamespace(ns))).To(Succeed())
	var parts []string
	for _, p := range pods.Items {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.RestartCount == 0 {
				continue
			}
			last := "?"
			if t := cs.LastTerminationState.Terminated; t != nil {
				last = fmt.Sprintf("%s, exit %d", t.Reason, t.ExitCode)
				oomKilled = oomKilled || t.Reason == "OOMKilled"
			}
			parts = append(parts, fmt.Sprintf("%s: %d (last: %s)", p.Name, cs.RestartCount, last))
		}
	}
	return strings.Join(parts, "; "), oomKilled
}

// reportRestarts records the container restarts in ns after a step, as a
// warning when a container was OOMKilled: the step passes (no acknowledged
// event may be lost whatever happens to a pod), but the summary shows it.
func reportRestarts(ns, after string) {
	desc, oom := containerRestarts(ns)
	if desc == "" {
		return
	}
	if oom {
		figure("WARNING: containers restarted, OOMKilled among them (after %s): %s", after, desc)
		return
	}
	figure("container restarts after %s: %s", after, desc)
}
