package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// controllerName names the controller (logs, metrics, events).
const controllerName = "eventingestorcluster"

// ClusterReconciler reconciles EventIngestorCluster objects.
type ClusterReconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads from the API server directly. The ring ConfigMap is
	// read through it: a new epoch must never be computed from a stale
	// cache.
	APIReader client.Reader
	// Recorder emits Kubernetes Events about the clusters.
	Recorder events.EventRecorder
	// DefaultImage is the pods' image for clusters without spec.image.
	DefaultImage string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// pass is the state of one reconcile pass of one cluster.
type pass struct {
	cluster *v1alpha1.EventIngestorCluster
	// ring is the published ring: as found at the start of the pass, then
	// as published by the ring phase.
	ring *ring.Ring
	// statefulSet is the StatefulSet as returned by its apply, nil if the
	// StatefulSet phase did not run.
	statefulSet *appsv1.StatefulSet
}

// The operator's own permissions (config/rbac/role.yaml is generated from
// these markers). It may grant the pods' Role only because it holds the
// same ConfigMap permissions itself.
//
// +kubebuilder:rbac:groups=ingest.eventingestor.io,resources=eventingestorclusters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ingest.eventingestor.io,resources=eventingestorclusters/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ingest.eventingestor.io,resources=eventingestorclusters/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=configmaps;services;serviceaccounts,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,resources=statefulsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconcile runs one pass over the cluster named by req: the phases in
// order, stopping at the first failure, then the status, written once.
func (r *ClusterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	c := &v1alpha1.EventIngestorCluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, c); err != nil {
		// Deleted: the garbage collector removes what it owned.
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get EventIngestorCluster %s: %w", req.NamespacedName, err)
	}
	if !c.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	p := &pass{cluster: c}
	err := r.runPhases(ctx, p)
	if err != nil && (ctx.Err() != nil || apierrors.IsConflict(err)) {
		// The manager is stopping, or an object changed under the pass (the
		// retry starts from the new state): not a failure of the cluster, so
		// no Degraded condition and no Warning.
		return ctrl.Result{}, err
	}
	if err != nil { // controller-runtime logs it and retries with backoff
		r.Recorder.Eventf(c, nil, corev1.EventTypeWarning, reasonReconcileFailed, actionReconcile,
			"%s", truncate(err.Error(), maxConditionMessage))
	}
	if serr := r.updateStatus(ctx, p, err); serr != nil {
		err = errors.Join(err, serr)
	}
	if err == nil && p.ring != nil {
		log.V(1).Info("reconciled", "ringEpoch", p.ring.Epoch, "partitions", p.ring.Partitions)
	}
	return ctrl.Result{}, err
}

// updateStatus computes the cluster's status from the pass and writes it if
// it changed.
func (r *ClusterReconciler) updateStatus(ctx context.Context, p *pass, phaseErr error) error {
	c := p.cluster
	sts := p.statefulSet
	if sts == nil { // the StatefulSet phase did not run: use what the cache knows
		sts = &appsv1.StatefulSet{}
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: c.Name}, sts); err != nil {
			if !apierrors.IsNotFound(err) {
				return fmt.Errorf("get StatefulSet %s: %w", c.Name, err)
			}
			sts = nil
		}
	}
	o := observation{Partitions: c.Spec.PartitionsOrDefault(), Ring: p.ring, StatefulSet: sts, Err: phaseErr}
	st := computeStatus(c, o, metav1.NewTime(r.now()))
	if equality.Semantic.DeepEqual(c.Status, st) {
		return nil
	}
	event, changed := availabilityEvent(c.Status.Conditions, st.Conditions)
	// The patch carries the resourceVersion the pass read: a pass that read
	// the cluster from a cache behind the API server (an earlier status, or
	// none) gets a conflict, rather than writing the status again with new
	// transition times. Reconcile returns the conflict so that the pass is
	// retried: a change of the status alone does not start a pass (see
	// setupWithManager), so no watch event would.
	patch := client.MergeFromWithOptions(c.DeepCopy(), client.MergeFromWithOptimisticLock{})
	c.Status = st
	if err := r.Client.Status().Patch(ctx, c, patch); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("update status of EventIngestorCluster %s: %w", c.Name, err)
	}
	if changed {
		r.Recorder.Eventf(c, nil, event.eventType, event.reason, actionReconcile, "%s", event.note)
	}
	return nil
}

func (r *ClusterReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// SetupWithManager registers the reconciler with mgr.
func (r *ClusterReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return r.setupWithManager(mgr, r)
}

// setupWithManager registers rec, which is r or wraps it (in tests), to be
// called for every EventIngestorCluster change (other than of its status
// alone) and every change of an object it owns.
func (r *ClusterReconciler) setupWithManager(mgr ctrl.Manager, rec reconcile.Reconciler) error {
	err := ctrl.NewControllerManagedBy(mgr).
		Named(controllerName).
		For(&v1alpha1.EventIngestorCluster{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{},
			predicate.LabelChangedPredicate{},
		))).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.ServiceAccount{}).
		Owns(&rbacv1.Role{}).
		Owns(&rbacv1.RoleBinding{}).
		Owns(&corev1.Service{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Complete(rec)
	if err != nil {
		return fmt.Errorf("set up the %s controller: %w", controllerName, err)
	}
	return nil
}
