package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// The fake-client tier: whole reconcile passes against controller-runtime's
// fake client (server-side apply included), with failures injected where a
// real API server would not fail on demand. The envtest suite covers the
// behaviour that needs a real API server (defaulting, validation, no-op
// applies).

type fakeEnv struct {
	r        *ClusterReconciler
	client   client.Client
	recorder *events.FakeRecorder
}

func newFakeEnv(t *testing.T, funcs *interceptor.Funcs, objs ...client.Object) *fakeEnv {
	t.Helper()
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	b := fake.NewClientBuilder().
		WithScheme(scheme).
		WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.EventIngestorCluster{})
	if funcs != nil {
		b = b.WithInterceptorFuncs(*funcs)
	}
	cl := b.Build()
	rec := events.NewFakeRecorder(100)
	return &fakeEnv{
		r: &ClusterReconciler{
			Client: cl, APIReader: cl, Recorder: rec, DefaultImage: testImage,
			Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		},
		client:   cl,
		recorder: rec,
	}
}

func (e *fakeEnv) reconcile(t *testing.T, name string) error {
	t.Helper()
	_, err := e.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: "ns", Name: name}})
	return err
}

func (e *fakeEnv) cluster(t *testing.T, name string) *v1alpha1.EventIngestorCluster {
	t.Helper()
	c := &v1alpha1.EventIngestorCluster{}
	if err := e.client.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: name}, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *fakeEnv) ringJSON(t *testing.T, name string) string {
	t.Helper()
	cm := &corev1.ConfigMap{}
	if err := e.client.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: name + "-ring"}, cm); err != nil {
		t.Fatal(err)
	}
	return cm.Data[ringKey]
}

func (e *fakeEnv) exists(t *testing.T, obj client.Object, name string) bool {
	t.Helper()
	err := e.client.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: name}, obj)
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// events drains the recorded events ("Type Reason Note").
func (e *fakeEnv) events() []string {
	var out []string
	for {
		select {
		case ev := <-e.recorder.Events:
			out = append(out, ev)
		default:
			return out
		}
	}
}

func contains(list []string, want string) bool {
	for _, s := range list {
		if s == want {
			return true
		}
	}
	return false
}

func TestReconcileCreatesEverything(t *testing.T) {
	env := newFakeEnv(t, nil, newCluster("seed", "ns"))
	if err := env.reconcile(t, "seed"); err != nil {
		t.Fatal(err)
	}
	for _, o := range ownedObjects("seed") {
		if !env.exists(t, o.obj, o.name) {
			t.Errorf("%T %s was not created", o.obj, o.name)
		}
	}
	expect(t, "ring.json", env.ringJSON(t, "seed"), `{"epoch":1,"partitions":3,"phase":"Stable"}`)
	c := env.cluster(t, "seed")
	expect(t, "observedGeneration", c.Status.ObservedGeneration, int64(1))
	expect(t, "ring", c.Status.Ring, v1alpha1.RingStatus{Epoch: 1, Partitions: 3, Phase: v1alpha1.RingPhaseStable})
	expect(t, "Degraded", meta.IsStatusConditionFalse(c.Status.Conditions, v1alpha1.ConditionDegraded), true)
	evs := env.events()
	for _, want := range []string{
		"Normal Created Created ConfigMap seed-ring", "Normal Created Created ServiceAccount seed",
		"Normal Created Created Role seed", "Normal Created Created RoleBinding seed",
		"Normal Created Created Service seed-headless", "Normal Created Created Service seed",
		"Normal Created Created StatefulSet seed", "Normal Created Created PodDisruptionBudget seed",
	} {
		if !contains(evs, want) {
			t.Errorf("no event %q in %q", want, evs)
		}
	}

	// A second pass creates nothing more.
	if err := env.reconcile(t, "seed"); err != nil {
		t.Fatal(err)
	}
	if evs := env.events(); len(evs) != 0 {
		t.Errorf("second pass recorded events %q", evs)
	}
}

func TestReconcileFailingPhase(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "statefulsets"}, "seed", nil)
	funcs := &interceptor.Funcs{
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			if _, ok := obj.(*appsv1ac.StatefulSetApplyConfiguration); ok {
				return forbidden
			}
			return c.Apply(ctx, obj, opts...)
		},
	}
	env := newFakeEnv(t, funcs, newCluster("seed", "ns"))
	err := env.reconcile(t, "seed")
	if err == nil || !strings.Contains(err.Error(), "phase StatefulSet: apply StatefulSet seed:") {
		t.Fatalf("Reconcile error = %v, want the StatefulSet phase's", err)
	}
	// Earlier phases ran, later ones did not.
	expect(t, "client Service created", env.exists(t, &corev1.Service{}, "seed"), true)
	expect(t, "StatefulSet created", env.exists(t, &appsv1.StatefulSet{}, "seed"), false)
	expect(t, "PodDisruptionBudget created", env.exists(t, &policyv1.PodDisruptionBudget{}, "seed"), false)

	c := env.cluster(t, "seed")
	expect(t, "observedGeneration", c.Status.ObservedGeneration, int64(0))
	expect(t, "ring (published before the failure)", c.Status.Ring.Epoch, int64(1))
	degraded := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionDegraded)
	if degraded == nil || degraded.Status != metav1.ConditionTrue || degraded.Reason != v1alpha1.ReasonReconcileFailed ||
		!strings.HasPrefix(degraded.Message, "phase StatefulSet: apply StatefulSet seed: ") {
		t.Errorf("Degraded = %+v", degraded)
	}
	evs := env.events()
	if !contains(evs, "Warning ReconcileFailed "+err.Error()) {
		t.Errorf("no ReconcileFailed warning in %q", evs)
	}
}

func TestReconcileWithoutImage(t *testing.T) {
	env := newFakeEnv(t, nil, newCluster("seed", "ns"))
	env.r.DefaultImage = ""
	err := env.reconcile(t, "seed")
	if err == nil || !strings.Contains(err.Error(), "spec.image is empty and the operator has no default image") {
		t.Fatalf("Reconcile error = %v", err)
	}
	c := env.cluster(t, "seed")
	expect(t, "Degraded", meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionDegraded), true)
}

func TestReconcileScales(t *testing.T) {
	env := newFakeEnv(t, nil, newCluster("seed", "ns"))
	if err := env.reconcile(t, "seed"); err != nil {
		t.Fatal(err)
	}
	env.events()
	for i, step := range []struct {
		partitions int32
		ring       string
		event      string
	}{
		{5, `{"epoch":2,"partitions":5,"phase":"Stable"}`, "Normal Scaled Scaled from 3 to 5 partitions: published ring epoch 2"},
		{2, `{"epoch":3,"partitions":2,"phase":"Stable"}`, "Normal Scaled Scaled from 5 to 2 partitions: published ring epoch 3"},
	} {
		c := env.cluster(t, "seed")
		c.Spec.Partitions = step.partitions
		c.Generation = int64(i + 2)
		if err := env.client.Update(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if err := env.reconcile(t, "seed"); err != nil {
			t.Fatal(err)
		}
		expect(t, "ring.json", env.ringJSON(t, "seed"), step.ring)
		sts := &appsv1.StatefulSet{}
		env.exists(t, sts, "seed")
		expect(t, "replicas", *sts.Spec.Replicas, step.partitions)
		if evs := env.events(); !contains(evs, step.event) {
			t.Errorf("no event %q in %q", step.event, evs)
		}
	}
}

func TestReconcileNeverResetsTheEpoch(t *testing.T) {
	// The ring ConfigMap was deleted behind the operator's back; the status
	// remembers epoch 4.
	c := newCluster("seed", "ns", func(c *v1alpha1.EventIngestorCluster) {
		c.Spec.Partitions = 5
		c.Status.Ring = v1alpha1.RingStatus{Epoch: 4, Partitions: 3, Phase: v1alpha1.RingPhaseStable}
	})
	env := newFakeEnv(t, nil, c)
	if err := env.reconcile(t, "seed"); err != nil {
		t.Fatal(err)
	}
	expect(t, "ring.json", env.ringJSON(t, "seed"), `{"epoch":5,"partitions":5,"phase":"Stable"}`)
}

func TestReconcileGoneOrDeleting(t *testing.T) {
	env := newFakeEnv(t, nil)
	if err := env.reconcile(t, "gone"); err != nil {
		t.Fatalf("Reconcile of a deleted cluster = %v", err)
	}

	deleting := newCluster("seed", "ns", func(c *v1alpha1.EventIngestorCluster) {
		c.DeletionTimestamp = &metav1.Time{Time: time.Now()}
		c.Finalizers = []string{"example.com/hold"}
	})
	env = newFakeEnv(t, nil, deleting)
	if err := env.reconcile(t, "seed"); err != nil {
		t.Fatal(err)
	}
	expect(t, "ring ConfigMap created while deleting", env.exists(t, &corev1.ConfigMap{}, "seed-ring"), false)
}

func TestReconcileConflictIsRetriedQuietly(t *testing.T) {
	conflict := apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, "seed-ring", nil)
	funcs := &interceptor.Funcs{
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			return conflict
		},
	}
	env := newFakeEnv(t, funcs, newCluster("seed", "ns"))
	if err := env.reconcile(t, "seed"); !apierrors.IsConflict(err) {
		t.Fatalf("Reconcile error = %v, want the conflict (so that the pass is retried)", err)
	}
	if c := env.cluster(t, "seed"); len(c.Status.Conditions) != 0 {
		t.Errorf("a conflict wrote conditions: %+v", c.Status.Conditions)
	}
	if evs := env.events(); len(evs) != 0 {
		t.Errorf("a conflict recorded events %q", evs)
	}
}

// TestReconcileFromAStaleClusterDoesNotRewriteTheStatus gives a pass the
// cluster as a cache behind the API server would: an older resourceVersion,
// without the status the previous pass wrote. The status patch must fail
// with a conflict instead of writing the status again with new transition
// times and events, and Reconcile must return it: the pass is retried only
// because of the error, since the newer status alone starts no pass.
func TestReconcileFromAStaleClusterDoesNotRewriteTheStatus(t *testing.T) {
	var stale *v1alpha1.EventIngestorCluster // what reads return, once set
	var staleReads int
	funcs := &interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if err := c.Get(ctx, key, obj, opts...); err != nil {
				return err
			}
			if cl, ok := obj.(*v1alpha1.EventIngestorCluster); ok && stale != nil {
				staleReads++
				stale.DeepCopyInto(cl)
			}
			return nil
		},
	}
	env := newFakeEnv(t, funcs, newCluster("seed", "ns"))
	before := env.cluster(t, "seed")
	if err := env.reconcile(t, "seed"); err != nil {
		t.Fatal(err)
	}
	written := env.cluster(t, "seed")
	if len(written.Status.Conditions) == 0 || written.ResourceVersion == before.ResourceVersion {
		t.Fatal("the first pass wrote no status")
	}
	env.events()

	// From now on every read returns the cluster as it was before the first
	// pass wrote its status.
	stale = before
	env.r.Now = func() time.Time { return time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC) }
	err := env.reconcile(t, "seed")
	if !apierrors.IsConflict(err) {
		t.Fatalf("Reconcile error = %v, want a conflict (so that the pass is retried)", err)
	}
	if staleReads == 0 {
		t.Fatal("the pass did not read the stale cluster")
	}
	stale = nil
	if got := env.cluster(t, "seed"); !equality.Semantic.DeepEqual(got.Status, written.Status) || got.ResourceVersion != written.ResourceVersion {
		t.Errorf("a pass from a stale cluster rewrote the status:\n%+v\nwant\n%+v", got.Status, written.Status)
	}
	if evs := env.events(); len(evs) != 0 {
		t.Errorf("a pass from a stale cluster recorded events %q", evs)
	}
}
