package controllers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// owned is one object a cluster owns, by kind and name.
type owned struct {
	obj  client.Object
	name string
}

func ownedObjects(name string) []owned {
	return []owned{
		{&corev1.ConfigMap{}, name + "-ring"},
		{&corev1.ServiceAccount{}, name},
		{&rbacv1.Role{}, name},
		{&rbacv1.RoleBinding{}, name},
		{&corev1.Service{}, name + "-headless"},
		{&corev1.Service{}, name},
		{&appsv1.StatefulSet{}, name},
		{&policyv1.PodDisruptionBudget{}, name},
	}
}

// ownedLists are lists of every kind a cluster owns.
func ownedLists() []client.ObjectList {
	return []client.ObjectList{
		&corev1.ConfigMapList{}, &corev1.ServiceAccountList{}, &rbacv1.RoleList{}, &rbacv1.RoleBindingList{},
		&corev1.ServiceList{}, &appsv1.StatefulSetList{}, &policyv1.PodDisruptionBudgetList{},
	}
}

var _ = Describe("EventIngestorCluster reconciler", func() {
	var (
		ctx context.Context
		ns  string
	)

	BeforeEach(func() {
		ctx = context.Background()
		namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "eic-"}}
		Expect(k8sClient.Create(ctx, namespace)).To(Succeed())
		ns = namespace.Name
	})

	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }

	create := func(mutate ...func(*v1alpha1.EventIngestorCluster)) *v1alpha1.EventIngestorCluster {
		c := newCluster("seed", ns, mutate...)
		c.UID, c.Generation = "", 0
		Expect(k8sClient.Create(ctx, c)).To(Succeed())
		return c
	}

	getCluster := func(g Gomega, name string) *v1alpha1.EventIngestorCluster {
		c := &v1alpha1.EventIngestorCluster{}
		g.Expect(k8sClient.Get(ctx, key(name), c)).To(Succeed())
		return c
	}

	// setPartitions changes spec.partitions with a merge patch (no conflicts
	// with the operator's status writes).
	setPartitions := func(c *v1alpha1.EventIngestorCluster, n int32) {
		patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"partitions":%d}}`, n))
		Expect(k8sClient.Patch(ctx, c, patch)).To(Succeed())
	}

	// expectRing waits until the ring ConfigMap, the StatefulSet and the
	// status all show epoch with partitions.
	expectRing := func(c *v1alpha1.EventIngestorCluster, epoch, partitions int) {
		GinkgoHelper()
		Eventually(func(g Gomega) {
			cm := &corev1.ConfigMap{}
			g.Expect(k8sClient.Get(ctx, key(c.Name+"-ring"), cm)).To(Succeed())
			g.Expect(cm.Data["ring.json"]).To(MatchJSON(fmt.Sprintf(`{"epoch":%d,"partitions":%d,"phase":"Stable"}`, epoch, partitions)))
			sts := &appsv1.StatefulSet{}
			g.Expect(k8sClient.Get(ctx, key(c.Name), sts)).To(Succeed())
			g.Expect(sts.Spec.Replicas).To(HaveValue(BeEquivalentTo(partitions)))
			got := getCluster(g, c.Name)
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
			g.Expect(got.Status.Ring).To(Equal(v1alpha1.RingStatus{
				Epoch: int64(epoch), Partitions: int32(partitions), Phase: v1alpha1.RingPhaseStable,
			}))
		}).Should(Succeed())
	}

	It("creates every owned object with its fields and owner reference", func() {
		c := create()
		By("the API server filling in the schema's defaults")
		Expect(c.Spec.IDField).To(Equal("id"))
		Expect(c.Spec.Sink.Type).To(Equal(v1alpha1.SinkLog))
		Expect(c.Spec.Flush.Interval.Duration.String()).To(Equal("1s"))
		Expect(c.Spec.Storage.Size.String()).To(Equal("1Gi"))
		Expect(c.Spec.Service.Port).To(BeEquivalentTo(8080))

		By("owning every object")
		Eventually(func(g Gomega) {
			for _, o := range ownedObjects("seed") {
				g.Expect(k8sClient.Get(ctx, key(o.name), o.obj)).To(Succeed(), "%T %s", o.obj, o.name)
				g.Expect(o.obj.GetOwnerReferences()).To(ConsistOf(metav1.OwnerReference{
					APIVersion: "ingest.eventingestor.io/v1alpha1", Kind: "EventIngestorCluster", Name: "seed",
					UID: c.UID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
				}), "%T %s", o.obj, o.name)
				g.Expect(o.obj.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/instance", "seed"))
			}
		}).Should(Succeed())

		By("publishing ring epoch 1")
		expectRing(c, 1, 3)

		By("running serve in the StatefulSet")
		sts := &appsv1.StatefulSet{}
		Expect(k8sClient.Get(ctx, key("seed"), sts)).To(Succeed())
		Expect(sts.Spec.ServiceName).To(Equal("seed-headless"))
		Expect(sts.Spec.Selector.MatchLabels).To(Equal(c.PodLabels()))
		Expect(sts.Spec.VolumeClaimTemplates).To(HaveLen(1))
		Expect(sts.Spec.VolumeClaimTemplates[0].Name).To(Equal("data"))
		Expect(sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String()).To(Equal("1Gi"))
		pod := sts.Spec.Template.Spec
		Expect(pod.ServiceAccountName).To(Equal("seed"))
		Expect(pod.TerminationGracePeriodSeconds).To(HaveValue(BeEquivalentTo(40)))
		Expect(pod.Containers).To(HaveLen(1))
		ctr := pod.Containers[0]
		Expect(ctr.Image).To(Equal(testImage))
		Expect(ctr.Args).To(ContainElements("serve", "--pod-name=$(POD_NAME)", "--event.key-field=user_id",
			"--ring.file=/etc/eventingestor/ring/ring.json", "--sink.type=log",
			"--peer-url-template=http://seed-{partition}.seed-headless."+ns+".svc:8080"))
		Expect(ctr.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
		Expect(ctr.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
		Expect(*ctr.SecurityContext.ReadOnlyRootFilesystem).To(BeTrue())

		By("creating both Services, the RBAC and the PodDisruptionBudget")
		headless := &corev1.Service{}
		Expect(k8sClient.Get(ctx, key("seed-headless"), headless)).To(Succeed())
		Expect(headless.Spec.ClusterIP).To(Equal(corev1.ClusterIPNone))
		Expect(headless.Spec.PublishNotReadyAddresses).To(BeTrue())
		svc := &corev1.Service{}
		Expect(k8sClient.Get(ctx, key("seed"), svc)).To(Succeed())
		Expect(svc.Spec.Ports).To(HaveLen(1))
		Expect(svc.Spec.Ports[0].Port).To(BeEquivalentTo(8080))
		Expect(svc.Spec.Ports[0].TargetPort).To(Equal(intstr.FromString("http")))
		Expect(svc.Spec.Selector).To(Equal(c.PodLabels()))
		r := &rbacv1.Role{}
		Expect(k8sClient.Get(ctx, key("seed"), r)).To(Succeed())
		Expect(r.Rules).To(ConsistOf(rbacv1.PolicyRule{
			APIGroups: []string{""}, Resources: []string{"configmaps"},
			ResourceNames: []string{"seed-ring"}, Verbs: []string{"get", "list", "watch"},
		}))
		pdb := &policyv1.PodDisruptionBudget{}
		Expect(k8sClient.Get(ctx, key("seed"), pdb)).To(Succeed())
		Expect(pdb.Spec.MaxUnavailable).To(HaveValue(Equal(intstr.FromInt32(1))))

		By("reporting the status")
		Eventually(func(g Gomega) {
			got := getCluster(g, "seed")
			g.Expect(got.Status.Selector).To(Equal(
				"app.kubernetes.io/component=partition,app.kubernetes.io/instance=seed," +
					"app.kubernetes.io/managed-by=eventingestor-operator,app.kubernetes.io/name=eventingestor"))
			g.Expect(meta.IsStatusConditionFalse(got.Status.Conditions, v1alpha1.ConditionDegraded)).To(BeTrue())
			g.Expect(meta.IsStatusConditionTrue(got.Status.Conditions, v1alpha1.ConditionProgressing)).To(BeTrue())
			g.Expect(meta.IsStatusConditionFalse(got.Status.Conditions, v1alpha1.ConditionAvailable)).To(BeTrue())
			g.Expect(meta.IsStatusConditionFalse(got.Status.Conditions, v1alpha1.ConditionResharding)).To(BeTrue())
		}).Should(Succeed())

		By("recording Events")
		Eventually(func(g Gomega) {
			g.Expect(eventNotes(ctx, g, ns, "Created")).To(ContainElement("Created StatefulSet seed"))
		}).Should(Succeed())
	})

	It("follows spec.partitions 3 → 5 → 2 with the ring epoch, the StatefulSet and the status", func() {
		c := create()
		expectRing(c, 1, 3)
		setPartitions(c, 5)
		expectRing(c, 2, 5)
		setPartitions(c, 2)
		expectRing(c, 3, 2)
		Eventually(func(g Gomega) {
			g.Expect(eventNotes(ctx, g, ns, "Scaled")).To(ContainElements(
				"Scaled from 3 to 5 partitions: published ring epoch 2",
				"Scaled from 5 to 2 partitions: published ring epoch 3"))
		}).Should(Succeed())
	})

	It("reports ready partitions and availability from the StatefulSet's status", func() {
		c := create()
		sts := &appsv1.StatefulSet{}
		Eventually(func() error { return k8sClient.Get(ctx, key("seed"), sts) }).Should(Succeed())

		setReady := func(ready int32) {
			Eventually(func() error {
				if err := k8sClient.Get(ctx, key("seed"), sts); err != nil {
					return err
				}
				sts.Status = appsv1.StatefulSetStatus{
					ObservedGeneration: sts.Generation,
					Replicas:           3, ReadyReplicas: ready, AvailableReplicas: ready,
					CurrentReplicas: 3, UpdatedReplicas: 3,
					CurrentRevision: "seed-1", UpdateRevision: "seed-1",
				}
				return k8sClient.Status().Update(ctx, sts)
			}).Should(Succeed())
		}

		By("all three pods ready")
		setReady(3)
		Eventually(func(g Gomega) {
			got := getCluster(g, c.Name)
			g.Expect(got.Status.Partitions).To(BeEquivalentTo(3))
			g.Expect(got.Status.ReadyPartitions).To(BeEquivalentTo(3))
			available := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionAvailable)
			g.Expect(available).NotTo(BeNil())
			g.Expect(available.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(available.Reason).To(Equal(v1alpha1.ReasonAllPartitionsReady))
			g.Expect(meta.IsStatusConditionFalse(got.Status.Conditions, v1alpha1.ConditionProgressing)).To(BeTrue())
		}).Should(Succeed())

		By("one pod left ready")
		setReady(1)
		Eventually(func(g Gomega) {
			got := getCluster(g, c.Name)
			g.Expect(got.Status.ReadyPartitions).To(BeEquivalentTo(1))
			available := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionAvailable)
			g.Expect(available).NotTo(BeNil())
			g.Expect(available.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(available.Message).To(Equal("1/3 partitions ready"))
		}).Should(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(eventNotes(ctx, g, ns, "Unavailable")).To(ContainElement("1/3 partitions ready"))
		}).Should(Succeed())
	})

	It("scales through the scale subresource, like kubectl scale", func() {
		c := create()
		expectRing(c, 1, 3)
		scale := &autoscalingv1.Scale{}
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.SubResource("scale").Get(ctx, c, scale)).To(Succeed())
			g.Expect(scale.Spec.Replicas).To(BeEquivalentTo(3))
			g.Expect(scale.Status.Selector).To(ContainSubstring("app.kubernetes.io/instance=seed"))
		}).Should(Succeed())
		scale.Spec.Replicas = 4
		Expect(k8sClient.SubResource("scale").Update(ctx, c, client.WithSubResourceBody(scale))).To(Succeed())
		Expect(getCluster(Default, "seed").Spec.Partitions).To(BeEquivalentTo(4))
		expectRing(c, 2, 4)
	})

	It("does not write owned objects again when nothing changed", func() {
		c := create()
		expectRing(c, 1, 3)
		resourceVersions := func(g Gomega) map[string]string {
			rv := map[string]string{}
			for _, o := range ownedObjects("seed") {
				g.Expect(k8sClient.Get(ctx, key(o.name), o.obj)).To(Succeed())
				rv[fmt.Sprintf("%T/%s", o.obj, o.name)] = o.obj.GetResourceVersion()
			}
			return rv
		}
		before := resourceVersions(Default)
		passesBefore := passes.count(key("seed"))

		By("triggering a pass with an annotation")
		patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"test.eventingestor.io/poke":"1"}}}`))
		Expect(k8sClient.Patch(ctx, c, patch)).To(Succeed())
		Eventually(func() int { return passes.count(key("seed")) }).Should(BeNumerically(">", passesBefore))

		By("keeping every resourceVersion, the cluster's included")
		Consistently(func(g Gomega) {
			g.Expect(resourceVersions(g)).To(Equal(before))
			g.Expect(getCluster(g, "seed").ResourceVersion).To(Equal(c.ResourceVersion))
		}).Should(Succeed())
	})

	It("owns everything it creates, so that deleting the cluster leaves nothing behind", func() {
		c := create()
		expectRing(c, 1, 3)
		Eventually(func(g Gomega) {
			for _, o := range ownedObjects("seed") {
				g.Expect(k8sClient.Get(ctx, key(o.name), o.obj)).To(Succeed())
			}
		}).Should(Succeed())

		By("every object of the owned kinds in the namespace having the cluster as controller")
		var all []client.Object
		for _, list := range ownedLists() {
			Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
			Expect(meta.EachListItem(list, func(o runtime.Object) error {
				obj := o.(client.Object)
				if isSystemObject(obj) {
					return nil
				}
				ref := metav1.GetControllerOf(obj)
				Expect(ref).NotTo(BeNil(), "%T %s has no controller", obj, obj.GetName())
				Expect(ref.UID).To(Equal(c.UID), "%T %s", obj, obj.GetName())
				Expect(ref.BlockOwnerDeletion).To(HaveValue(BeTrue()))
				all = append(all, obj)
				return nil
			})).To(Succeed())
		}
		Expect(all).To(HaveLen(len(ownedObjects("seed"))))

		By("deleting the cluster without finalizers in the way")
		Expect(k8sClient.Delete(ctx, c)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, key("seed"), &v1alpha1.EventIngestorCluster{}))
		}).Should(BeTrue())
		// The garbage collector deletes dependents once their owner is gone;
		// the reconciler learns that through its cache, which may lag the
		// API server. Deleting them before it has caught up would test the
		// cache's lag, not the reconciler.
		Eventually(func() bool {
			return apierrors.IsNotFound(mgrClient.Get(ctx, key("seed"), &v1alpha1.EventIngestorCluster{}))
		}).Should(BeTrue())
		// A pass that read the cluster before that may still be applying its
		// objects; passes that start now find it gone.
		Eventually(func() int { return passes.inFlight(key("seed")) }).Should(BeZero())

		By("not recreating what the garbage collector (simulated here) removes")
		for _, obj := range all {
			Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed())
		}
		Consistently(func(g Gomega) {
			for _, o := range ownedObjects("seed") {
				err := k8sClient.Get(ctx, key(o.name), o.obj)
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%T %s: %v", o.obj, o.name, err)
			}
		}).Should(Succeed())
	})

	DescribeTable("rejects invalid clusters with a readable message",
		func(mutate func(*v1alpha1.EventIngestorCluster), want string) {
			c := newCluster("seed", ns, mutate)
			c.UID, c.Generation = "", 0
			err := k8sClient.Create(ctx, c)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring(want))
		},
		Entry("0 partitions", func(c *v1alpha1.EventIngestorCluster) { c.Spec.Partitions = 0 },
			"spec.partitions: Invalid value: 0: spec.partitions in body should be greater than or equal to 1"),
		Entry("1025 partitions", func(c *v1alpha1.EventIngestorCluster) { c.Spec.Partitions = 1025 },
			"spec.partitions in body should be less than or equal to 1024"),
		Entry("no partition key", func(c *v1alpha1.EventIngestorCluster) { c.Spec.PartitionKey = "" },
			"spec.partitionKey"),
		Entry("webhook sink without its config", func(c *v1alpha1.EventIngestorCluster) { c.Spec.Sink.Type = v1alpha1.SinkWebhook },
			"sink.webhook (with its url) must be set when sink.type is webhook"),
		Entry("file sink without its config", func(c *v1alpha1.EventIngestorCluster) { c.Spec.Sink.Type = v1alpha1.SinkFile },
			"sink.file must be set when sink.type is file"),
		Entry("file config on a log sink", func(c *v1alpha1.EventIngestorCluster) { c.Spec.Sink.File = &v1alpha1.FileSinkSpec{} },
			"sink.file must be set when sink.type is file (file: {} takes the defaults), and only then"),
		Entry("webhook url that is not http", func(c *v1alpha1.EventIngestorCluster) {
			c.Spec.Sink = v1alpha1.SinkSpec{Type: v1alpha1.SinkWebhook, Webhook: &v1alpha1.WebhookSinkSpec{URL: "ftp://example.com/x"}}
		}, "sink.webhook.url must be an absolute http or https URL"),
		Entry("unknown sink type", func(c *v1alpha1.EventIngestorCluster) { c.Spec.Sink.Type = "postgres" },
			`spec.sink.type: Unsupported value: "postgres"`),
		Entry("zero flush interval", func(c *v1alpha1.EventIngestorCluster) {
			c.Spec.Flush.Interval = &metav1.Duration{}
		}, "flush.interval must be a duration between 1ms and 1h"),
		Entry("tiny backlog", func(c *v1alpha1.EventIngestorCluster) {
			c.Spec.Durability.MaxBacklog = ptr.To(resource.MustParse("1Ki"))
		},
			"durability.maxBacklog must be at least 1Mi"),
		Entry("a backlog that does not fit the volume", func(c *v1alpha1.EventIngestorCluster) {
			c.Spec.Durability.MaxBacklog = ptr.To(resource.MustParse("600Mi"))
			c.Spec.Storage.Size = ptr.To(resource.MustParse("1Gi"))
		},
			"durability.maxBacklog must be at most half of storage.size"),
		Entry("a name too long for the pods' DNS names", func(c *v1alpha1.EventIngestorCluster) { c.Name = strings.Repeat("a", 53) },
			"metadata.name must be a DNS-1035 label of at most 52 characters"),
	)

	It("accepts and runs the samples of config/samples", func() {
		files, err := filepath.Glob(filepath.Join("..", "config", "samples", "ingest_*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(files).NotTo(BeEmpty())
		for _, f := range files {
			data, err := os.ReadFile(f)
			Expect(err).NotTo(HaveOccurred())
			c := &v1alpha1.EventIngestorCluster{}
			Expect(yaml.UnmarshalStrict(data, c)).To(Succeed(), f)
			c.Namespace = ns
			Expect(k8sClient.Create(ctx, c)).To(Succeed(), f)
			Eventually(func(g Gomega) {
				sts := &appsv1.StatefulSet{}
				g.Expect(k8sClient.Get(ctx, key(c.Name), sts)).To(Succeed())
				g.Expect(sts.Spec.Template.Spec.Containers[0].Args).To(ContainElements(
					"--event.key-field=user_id", "--sink.type="+string(c.Spec.Sink.Type)), f)
				got := getCluster(g, c.Name)
				g.Expect(meta.IsStatusConditionFalse(got.Status.Conditions, v1alpha1.ConditionDegraded)).To(BeTrue(), f)
			}).Should(Succeed())
		}
	})

	It("rejects changing the storage class once set", func() {
		c := create(func(c *v1alpha1.EventIngestorCluster) { c.Spec.Storage.StorageClassName = ptr.To("fast") })
		const want = "storage.storageClassName is immutable"

		// Merge patches carry no resourceVersion: the operator's status
		// writes cannot make them conflict.
		patch := func(spec string) error {
			return k8sClient.Patch(ctx, c, client.RawPatch(types.MergePatchType, []byte(`{"spec":`+spec+`}`)))
		}
		for _, spec := range []string{
			`{"storage":{"storageClassName":"slow"}}`,
			`{"storage":{"storageClassName":null}}`,
		} {
			err := patch(spec)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%s: want Invalid, got %v", spec, err)
			Expect(err.Error()).To(ContainSubstring(want))
		}

		By("accepting other changes")
		Expect(patch(`{"storage":{"storageClassName":"fast"},"partitions":4}`)).To(Succeed())
	})
})

// eventNotes returns the notes of the events.k8s.io Events with reason in
// namespace ns.
func eventNotes(ctx context.Context, g Gomega, ns, reason string) []string {
	list := &eventsv1.EventList{}
	g.Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	var notes []string
	for _, e := range list.Items {
		if e.Reason == reason {
			notes = append(notes, e.Note)
		}
	}
	return notes
}

// isSystemObject reports objects Kubernetes itself creates in every
// namespace (not in envtest, but in a real cluster).
func isSystemObject(o client.Object) bool {
	switch o.(type) {
	case *corev1.ServiceAccount:
		return o.GetName() == "default"
	case *corev1.ConfigMap:
		return o.GetName() == "kube-root-ca.crt"
	}
	return false
}
