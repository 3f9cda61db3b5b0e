package controllers

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// The envtest suite runs the operator's manager, as `eventingestor operator`
// builds it, against a real kube-apiserver and etcd (no kubelet, no
// controllers of its own: StatefulSets get no pods, nothing is garbage
// collected). hack/envtest-assets.sh provides the binaries; `make test`
// exports KUBEBUILDER_ASSETS.

var (
	k8sClient client.Client
	// mgrClient reads through the manager's cache: what the reconciler sees.
	mgrClient client.Client
	testEnv   *envtest.Environment
	passes    = &passCounter{n: map[types.NamespacedName]int{}, running: map[types.NamespacedName]int{}}
	stopMgr   context.CancelFunc
	mgrDone   = make(chan struct{})
)

func TestEnvtest(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: the envtest suite needs kube-apiserver and etcd. " +
			`Run "make test", or first export KUBEBUILDER_ASSETS="$(hack/envtest-assets.sh)".`)
	}
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(200 * time.Millisecond)
	SetDefaultConsistentlyDuration(2 * time.Second)
	SetDefaultConsistentlyPollingInterval(200 * time.Millisecond)
	RunSpecs(t, "EventIngestorCluster controller (envtest)")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred())

	scheme, err := NewScheme()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	mgr, err := NewManager(cfg, ManagerConfig{
		MetricsBindAddress:     "0",
		HealthProbeBindAddress: "0",
		DefaultImage:           testImage,
		wrapReconciler:         passes.wrap,
	})
	Expect(err).NotTo(HaveOccurred())
	mgrClient = mgr.GetClient()
	var ctx context.Context
	ctx, stopMgr = context.WithCancel(context.Background())
	go func() {
		defer GinkgoRecover()
		defer close(mgrDone)
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	if stopMgr != nil {
		stopMgr()
		Eventually(mgrDone).Should(BeClosed())
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// passCounter counts finished reconcile passes per cluster, and the passes
// running.
type passCounter struct {
	mu      sync.Mutex
	n       map[types.NamespacedName]int
	running map[types.NamespacedName]int
}

func (p *passCounter) wrap(r reconcile.Reconciler) reconcile.Reconciler {
	return reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		p.mu.Lock()
		p.running[req.NamespacedName]++
		p.mu.Unlock()
		res, err := r.Reconcile(ctx, req)
		p.mu.Lock()
		p.running[req.NamespacedName]--
		p.n[req.NamespacedName]++
		p.mu.Unlock()
		return res, err
	})
}

// inFlight is the number of passes for key running now.
func (p *passCounter) inFlight(key types.NamespacedName) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running[key]
}

func (p *passCounter) count(key types.NamespacedName) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[key]
}
