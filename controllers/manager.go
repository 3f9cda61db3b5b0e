package controllers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlzap "sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// DefaultLeaderElectionID is the name of the Lease that elects the active
// operator replica.
const DefaultLeaderElectionID = "eventingestor-operator.ingest.eventingestor.io"

// ManagerConfig configures the operator's controller manager. main.go fills
// it from the flags of `eventingestor operator`.
type ManagerConfig struct {
	// MetricsBindAddress serves Prometheus metrics (e.g. ":8080"); "0"
	// disables them.
	MetricsBindAddress string
	// HealthProbeBindAddress serves /healthz and /readyz (e.g. ":8081");
	// "0" disables them.
	HealthProbeBindAddress string
	// LeaderElection makes only the replica holding the Lease
	// LeaderElectionID (in LeaderElectionNamespace, default: the operator
	// pod's namespace) reconcile.
	LeaderElection          bool
	LeaderElectionID        string
	LeaderElectionNamespace string
	// DefaultImage is the image of clusters without spec.image: normally
	// the operator's own.
	DefaultImage string
	// Kubeconfig is the path of a kubeconfig file; empty means the usual
	// search: $KUBECONFIG, the in-cluster configuration, ~/.kube/config.
	Kubeconfig string
	// Zap configures the logger (its flags are the usual --zap-* ones).
	Zap ctrlzap.Options

	// wrapReconciler, if set, wraps the reconciler (tests count passes).
	wrapReconciler func(reconcile.Reconciler) reconcile.Reconciler
}

// NewScheme returns a scheme with the Kubernetes built-in types and this
// project's API.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("register Kubernetes types: %w", err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("register %s: %w", v1alpha1.GroupVersion, err)
	}
	return s, nil
}

// RunManager runs the operator until ctx is done or SIGINT/SIGTERM arrives.
func RunManager(ctx context.Context, cfg ManagerConfig) error {
	logger := ctrlzap.New(ctrlzap.UseFlagOptions(&cfg.Zap))
	ctrl.SetLogger(logger)
	klog.SetLogger(logger)

	restCfg, err := restConfig(cfg.Kubeconfig)
	if err != nil {
		return fmt.Errorf("load the Kubernetes client configuration: %w", err)
	}
	mgr, err := NewManager(restCfg, cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("starting the operator", "defaultImage", cfg.DefaultImage, "leaderElection", cfg.LeaderElection)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("run the controller manager: %w", err)
	}
	return nil
}

// NewManager returns a controller manager for restCfg with the
// EventIngestorCluster reconciler and health checks registered; Start runs
// it.
func NewManager(restCfg *rest.Config, cfg ManagerConfig) (manager.Manager, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	if cfg.LeaderElection && cfg.LeaderElectionID == "" {
		return nil, errors.New("leader election needs a lease name (--leader-election-id)")
	}
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsserver.Options{BindAddress: cfg.MetricsBindAddress},
		HealthProbeBindAddress:        cfg.HealthProbeBindAddress,
		LeaderElection:                cfg.LeaderElection,
		LeaderElectionID:              cfg.LeaderElectionID,
		LeaderElectionNamespace:       cfg.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOptions(),
	})
	if err != nil {
		return nil, fmt.Errorf("create the controller manager: %w", err)
	}
	r := &ClusterReconciler{
		Client:       mgr.GetClient(),
		APIReader:    mgr.GetAPIReader(),
		Recorder:     mgr.GetEventRecorder(v1alpha1.ManagedBy),
		DefaultImage: cfg.DefaultImage,
	}
	var rec reconcile.Reconciler = r
	if cfg.wrapReconciler != nil {
		rec = cfg.wrapReconciler(r)
	}
	if err := r.setupWithManager(mgr, rec); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add readiness check: %w", err)
	}
	return mgr, nil
}

// cacheOptions make the manager cache only the owned kinds' objects that
// carry the operator's managed-by label (not every ConfigMap, Service... of
// the cluster), without their managed fields.
func cacheOptions() cache.Options {
	owned := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{v1alpha1.LabelManagedBy: v1alpha1.ManagedBy})}
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}:             owned,
			&corev1.ServiceAccount{}:        owned,
			&corev1.Service{}:               owned,
			&rbacv1.Role{}:                  owned,
			&rbacv1.RoleBinding{}:           owned,
			&appsv1.StatefulSet{}:           owned,
			&policyv1.PodDisruptionBudget{}: owned,
		},
	}
}

// restConfig loads the client configuration from the kubeconfig file at
// path, or, if path is empty, from $KUBECONFIG, the in-cluster environment
// or ~/.kube/config.
func restConfig(path string) (*rest.Config, error) {
	if path != "" {
		return clientcmd.BuildConfigFromFlags("", path)
	}
	return ctrl.GetConfig()
}
