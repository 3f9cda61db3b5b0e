package controllers

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

func TestStatefulSet(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*v1alpha1.EventIngestorCluster)
		replicas int32
		check    func(t *testing.T, sts *appsv1.StatefulSet)
	}{
		{
			name:     "seed",
			mutate:   func(*v1alpha1.EventIngestorCluster) {},
			replicas: 3,
			check: func(t *testing.T, sts *appsv1.StatefulSet) {
				s := sts.Spec
				expect(t, "replicas", ptr.Deref(s.Replicas, 0), int32(3))
				expect(t, "serviceName", s.ServiceName, "seed-headless")
				expect(t, "podManagementPolicy", s.PodManagementPolicy, appsv1.ParallelPodManagement)
				expect(t, "updateStrategy", s.UpdateStrategy.Type, appsv1.RollingUpdateStatefulSetStrategyType)
				expect(t, "pvc retention", *s.PersistentVolumeClaimRetentionPolicy, appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
					WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType, WhenScaled: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				})
				podLabels := map[string]string{
					"app.kubernetes.io/name": "eventingestor", "app.kubernetes.io/instance": "seed",
					"app.kubernetes.io/managed-by": "eventingestor-operator", "app.kubernetes.io/component": "partition",
				}
				expectJSON(t, "selector", s.Selector.MatchLabels, podLabels)
				expectJSON(t, "pod labels", s.Template.Labels, podLabels)
				expect(t, "pod annotations", len(s.Template.Annotations), 0)

				// One volume claim template "data", a plain 1Gi RWO claim.
				expect(t, "volumeClaimTemplates", len(s.VolumeClaimTemplates), 1)
				vct := s.VolumeClaimTemplates[0]
				expect(t, "claim name", vct.Name, "data")
				expectJSON(t, "claim access modes", vct.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce})
				expect(t, "claim size", vct.Spec.Resources.Requests.Storage().String(), "1Gi")
				expect(t, "claim storage class", vct.Spec.StorageClassName, (*string)(nil))

				pod := s.Template.Spec
				expect(t, "serviceAccountName", pod.ServiceAccountName, "seed")
				expect(t, "enableServiceLinks", ptr.Deref(pod.EnableServiceLinks, true), false)
				expect(t, "terminationGracePeriodSeconds", ptr.Deref(pod.TerminationGracePeriodSeconds, 0), int64(40))
				expectJSON(t, "pod securityContext", pod.SecurityContext, &corev1.PodSecurityContext{
					RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(int64(65532)), RunAsGroup: ptr.To(int64(65532)),
					FSGroup: ptr.To(int64(65532)), FSGroupChangePolicy: ptr.To(corev1.FSGroupChangeOnRootMismatch),
					SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				})
				expectJSON(t, "volumes", pod.Volumes, []corev1.Volume{
					{Name: "ring", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
						LocalObjectReference: corev1.LocalObjectReference{Name: "seed-ring"},
					}}},
					{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				})
				expect(t, "placement", pod.Affinity == nil && pod.NodeSelector == nil && pod.Tolerations == nil &&
					pod.TopologySpreadConstraints == nil && pod.PriorityClassName == "" && pod.ImagePullSecrets == nil, true)

				expect(t, "containers", len(pod.Containers), 1)
				ctr := pod.Containers[0]
				expect(t, "container name", ctr.Name, "eventingestor")
				expect(t, "image", ctr.Image, testImage)
				expect(t, "imagePullPolicy", ctr.ImagePullPolicy, corev1.PullIfNotPresent)
				expect(t, "args[0]", ctr.Args[0], "serve")
				expectJSON(t, "ports", ctr.Ports, []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}})
				expectJSON(t, "volumeMounts", ctr.VolumeMounts, []corev1.VolumeMount{
					{Name: "ring", MountPath: "/etc/eventingestor/ring", ReadOnly: true},
					{Name: "data", MountPath: "/var/lib/eventingestor"},
					{Name: "tmp", MountPath: "/tmp"},
				})
				expect(t, "readiness path", ctr.ReadinessProbe.HTTPGet.Path, "/readyz")
				expect(t, "readiness port", ctr.ReadinessProbe.HTTPGet.Port, intstr.FromString("http"))
				expect(t, "liveness path", ctr.LivenessProbe.HTTPGet.Path, "/healthz")
				expect(t, "liveness port", ctr.LivenessProbe.HTTPGet.Port, intstr.FromString("http"))
				expectJSON(t, "container securityContext", ctr.SecurityContext, &corev1.SecurityContext{
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
					Privileged:   ptr.To(false), RunAsNonRoot: ptr.To(true), ReadOnlyRootFilesystem: ptr.To(true),
					AllowPrivilegeEscalation: ptr.To(false),
					SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				})
				expect(t, "resources", len(ctr.Resources.Limits)+len(ctr.Resources.Requests), 0)
				expect(t, "env", len(ctr.Env), 2)
			},
		},
		{
			name:     "replicas come from the published ring, not from the spec",
			mutate:   func(c *v1alpha1.EventIngestorCluster) { c.Spec.Partitions = 9 },
			replicas: 7,
			check: func(t *testing.T, sts *appsv1.StatefulSet) {
				expect(t, "replicas", ptr.Deref(sts.Spec.Replicas, 0), int32(7))
			},
		},
		{
			name: "pod settings of the spec",
			mutate: func(c *v1alpha1.EventIngestorCluster) {
				c.Spec.Image = "mine/eventingestor:2"
				c.Spec.ImagePullPolicy = corev1.PullAlways
				c.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
				c.Spec.PodAnnotations = map[string]string{"prometheus.io/scrape": "true"}
				c.Spec.NodeSelector = map[string]string{"disk": "ssd"}
				c.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "ingest", Effect: corev1.TaintEffectNoSchedule}}
				c.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
					PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{
						TopologyKey: "kubernetes.io/hostname",
					}}},
				}}
				c.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
					MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway,
				}}
				c.Spec.PriorityClassName = "high"
				c.Spec.Resources = corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
				}
				c.Spec.Storage = v1alpha1.StorageSpec{Size: ptr.To(resource.MustParse("20Gi")), StorageClassName: ptr.To("fast")}
			},
			replicas: 3,
			check: func(t *testing.T, sts *appsv1.StatefulSet) {
				pod := sts.Spec.Template.Spec
				ctr := pod.Containers[0]
				expect(t, "image", ctr.Image, "mine/eventingestor:2")
				expect(t, "imagePullPolicy", ctr.ImagePullPolicy, corev1.PullAlways)
				expectJSON(t, "imagePullSecrets", pod.ImagePullSecrets, []corev1.LocalObjectReference{{Name: "regcred"}})
				expectJSON(t, "pod annotations", sts.Spec.Template.Annotations, map[string]string{"prometheus.io/scrape": "true"})
				expectJSON(t, "nodeSelector", pod.NodeSelector, map[string]string{"disk": "ssd"})
				expect(t, "tolerations", len(pod.Tolerations), 1)
				expect(t, "toleration key", pod.Tolerations[0].Key, "dedicated")
				expect(t, "anti-affinity topology", pod.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.TopologyKey, "kubernetes.io/hostname")
				expect(t, "topology spread", pod.TopologySpreadConstraints[0].TopologyKey, "topology.kubernetes.io/zone")
				expect(t, "priorityClassName", pod.PriorityClassName, "high")
				expect(t, "cpu request", ctr.Resources.Requests.Cpu().String(), "500m")
				expect(t, "memory limit", ctr.Resources.Limits.Memory().String(), "1Gi")
				vct := sts.Spec.VolumeClaimTemplates[0]
				expect(t, "claim size", vct.Spec.Resources.Requests.Storage().String(), "20Gi")
				expect(t, "claim storage class", ptr.Deref(vct.Spec.StorageClassName, ""), "fast")
			},
		},
		{
			name: "webhook Authorization from its Secret",
			mutate: func(c *v1alpha1.EventIngestorCluster) {
				c.Spec.Sink = v1alpha1.SinkSpec{Type: v1alpha1.SinkWebhook, Webhook: &v1alpha1.WebhookSinkSpec{
					URL:                    "https://hooks.example/in",
					AuthorizationSecretRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "hook"}, Key: "auth"},
				}}
			},
			replicas: 3,
			check: func(t *testing.T, sts *appsv1.StatefulSet) {
				ctr := sts.Spec.Template.Spec.Containers[0]
				i := slices.IndexFunc(ctr.Env, func(e corev1.EnvVar) bool { return e.Name == "EVENTINGESTOR_SINK_WEBHOOK_AUTHORIZATION" })
				if i < 0 {
					t.Fatalf("no EVENTINGESTOR_SINK_WEBHOOK_AUTHORIZATION in %+v", ctr.Env)
				}
				expect(t, "env value in clear", ctr.Env[i].Value, "")
				expect(t, "secret name", ctr.Env[i].ValueFrom.SecretKeyRef.Name, "hook")
				expect(t, "secret key", ctr.Env[i].ValueFrom.SecretKeyRef.Key, "auth")
				expect(t, "url flag", slices.Contains(ctr.Args, "--sink.webhook.url=https://hooks.example/in"), true)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster("seed", "ns", tt.mutate)
			ac, err := statefulSet(c, imageFor(c, testImage), tt.replicas)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, typed[appsv1.StatefulSet](t, ac))
		})
	}
}

// TestStatefulSetOwnsOnlyWhatItSets guards against applying fields the
// operator does not mean to own, which would fight API server defaulting or
// other controllers: no status, no kind in the claim template, no empty
// resources.
func TestStatefulSetOwnsOnlyWhatItSets(t *testing.T) {
	ac, err := statefulSet(newCluster("seed", "ns"), testImage, 3)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(ac)
	if err != nil {
		t.Fatal(err)
	}
	for _, unwanted := range []string{`"status"`, `"PersistentVolumeClaim"`, `"resources":{}`, `"creationTimestamp"`, `"clusterIP"`} {
		if strings.Contains(string(data), unwanted) {
			t.Errorf("the StatefulSet apply configuration contains %s:\n%s", unwanted, data)
		}
	}
}

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func expectJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if !equalJSON(t, got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s =\n  %s\nwant\n  %s", what, g, w)
	}
}
