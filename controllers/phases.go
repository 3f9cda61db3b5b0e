package controllers

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// phase is one ordered step of a reconcile pass.
type phase struct {
	name string
	run  func(context.Context, *pass) error
}

// phases are the steps of a pass in order: the ring first (pods read it at
// start-up), then what the pods need to run (identity, DNS), the pods, and
// the disruption budget that protects them.
func (r *ClusterReconciler) phases() []phase {
	return []phase{
		{"Ring", r.reconcileRing},
		{"RBAC", r.reconcileRBAC},
		{"Services", r.reconcileServices},
		{"StatefulSet", r.reconcileStatefulSet},
		{"PodDisruptionBudget", r.reconcilePodDisruptionBudget},
	}
}

// runPhases runs the phases in order and stops at the first failure.
func (r *ClusterReconciler) runPhases(ctx context.Context, p *pass) error {
	for _, ph := range r.phases() {
		if err := ph.run(ctx, p); err != nil {
			return fmt.Errorf("phase %s: %w", ph.name, err)
		}
	}
	return nil
}

// reconcileRing publishes the ring in ConfigMap NAME-ring: a new epoch when
// spec.partitions differs from the published ring. Until resharding with
// hand-off lands, the new ring is Stable at once and the StatefulSet phase
// resizes the pods directly.
func (r *ClusterReconciler) reconcileRing(ctx context.Context, p *pass) error {
	c := p.cluster
	name := c.RingConfigMapName()
	cm := &corev1.ConfigMap{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, cm); err != nil {
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("read ConfigMap %s: %w", name, err)
		}
		cm = nil
	}
	p.ring = publishedRing(cm, c.Status.Ring)
	want := desiredRing(p.ring, c.Spec.PartitionsOrDefault())
	ac, err := ringConfigMap(c, want)
	if err != nil {
		return fmt.Errorf("build ConfigMap %s: %w", name, err)
	}
	if cm != nil {
		// Optimistic lock: if anyone changed the ring since it was read,
		// the apply fails and the next pass starts from the new ring.
		ac.WithResourceVersion(cm.ResourceVersion)
	}
	if err := r.apply(ctx, c, ac, cm != nil); err != nil {
		return err
	}
	before := p.ring
	p.ring = &want
	if before != nil && before.Partitions != want.Partitions {
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, reasonScaled, actionScale,
			"Scaled from %d to %d partitions: published ring epoch %d", before.Partitions, want.Partitions, want.Epoch)
	}
	return nil
}

// reconcileRBAC gives the pods their identity: ServiceAccount NAME, allowed
// to read the ring ConfigMap and nothing else.
func (r *ClusterReconciler) reconcileRBAC(ctx context.Context, p *pass) error {
	c := p.cluster
	if err := r.applyOwned(ctx, c, &corev1.ServiceAccount{}, serviceAccount(c)); err != nil {
		return err
	}
	if err := r.applyOwned(ctx, c, &rbacv1.Role{}, role(c)); err != nil {
		return err
	}
	return r.applyOwned(ctx, c, &rbacv1.RoleBinding{}, roleBinding(c))
}

// reconcileServices creates the pods' DNS (the headless Service) and the
// Service clients send events to.
func (r *ClusterReconciler) reconcileServices(ctx context.Context, p *pass) error {
	c := p.cluster
	if err := r.applyOwned(ctx, c, &corev1.Service{}, headlessService(c)); err != nil {
		return err
	}
	return r.applyOwned(ctx, c, &corev1.Service{}, clientService(c))
}

// reconcileStatefulSet runs one pod per partition of the published ring.
func (r *ClusterReconciler) reconcileStatefulSet(ctx context.Context, p *pass) error {
	c := p.cluster
	image := imageFor(c, r.DefaultImage)
	if image == "" {
		return errors.New("spec.image is empty and the operator has no default image (--default-image)")
	}
	replicas := c.Spec.PartitionsOrDefault()
	if p.ring != nil { // always, after the ring phase
		replicas = int32(p.ring.Partitions)
	}
	ac, err := statefulSet(c, image, replicas)
	if err != nil {
		return fmt.Errorf("build StatefulSet %s: %w", c.Name, err)
	}
	if err := r.applyOwned(ctx, c, &appsv1.StatefulSet{}, ac); err != nil {
		return err
	}
	sts, err := convert[appsv1.StatefulSet](ac) // the apply left the server's answer in ac
	if err != nil {
		return fmt.Errorf("read back StatefulSet %s: %w", c.Name, err)
	}
	p.statefulSet = sts
	return nil
}

// reconcilePodDisruptionBudget lets voluntary disruptions take down one
// partition at a time.
func (r *ClusterReconciler) reconcilePodDisruptionBudget(ctx context.Context, p *pass) error {
	return r.applyOwned(ctx, p.cluster, &policyv1.PodDisruptionBudget{}, podDisruptionBudget(p.cluster))
}

// applyConfiguration is a server-side apply configuration of a named object.
type applyConfiguration interface {
	runtime.ApplyConfiguration
	GetName() *string
	GetKind() *string
	GetAPIVersion() *string
}

// applyOwned applies ac, an object owned by c; current is an empty object of
// its type, used to look it up in the cache first so that its creation is
// marked by an Event. Applying an unchanged configuration writes nothing: the
// API server finds no change and keeps the object's resourceVersion.
func (r *ClusterReconciler) applyOwned(ctx context.Context, c *v1alpha1.EventIngestorCluster, current client.Object, ac applyConfiguration) error {
	key := client.ObjectKey{Namespace: c.Namespace, Name: *ac.GetName()}
	existed := true
	if err := r.Client.Get(ctx, key, current); err != nil {
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("get %s %s: %w", *ac.GetKind(), key.Name, err)
		}
		existed = false
	}
	return r.apply(ctx, c, ac, existed)
}

// apply server-side applies ac as the operator's field manager, taking over
// fields another manager set (the operator owns what it applies). existed
// says whether the object existed before; if not, an Event marks its
// creation.
func (r *ClusterReconciler) apply(ctx context.Context, c *v1alpha1.EventIngestorCluster, ac applyConfiguration, existed bool) error {
	kind, name := *ac.GetKind(), *ac.GetName()
	if err := r.Client.Apply(ctx, ac, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply %s %s: %w", kind, name, err)
	}
	if !existed {
		// The created object is the Event's related object: Events about
		// one cluster that differ only in it are not merged into a series.
		related := &corev1.ObjectReference{APIVersion: *ac.GetAPIVersion(), Kind: kind, Namespace: c.Namespace, Name: name}
		r.Recorder.Eventf(c, related, corev1.EventTypeNormal, reasonCreated, actionCreate, "Created %s %s", kind, name)
	}
	return nil
}
