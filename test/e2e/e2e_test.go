//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

const (
	crdName = "eventingestorclusters.ingest.eventingestor.io"

	// The Helm path.
	helmRelease   = "eventingestor"
	helmNamespace = "eventingestor-helm"
	helmCluster   = "helm-smoke"

	// The kustomize path (config/default's namespace and name prefix).
	operatorNamespace  = "eventingestor-system"
	operatorDeployment = "eventingestor-controller-manager"

	// The sample of config/samples: the seed with a file sink.
	sampleFile  = "config/samples/ingest_v1alpha1_eventingestorcluster_file.yaml"
	sampleName  = "seed-files"
	seedEvents  = 100_000
	scaledCount = 5
)

// helmSmokeCluster is the one-partition cluster run by the Helm-installed
// operator.
const helmSmokeCluster = `apiVersion: ingest.eventingestor.io/v1alpha1
kind: EventIngestorCluster
metadata:
  name: ` + helmCluster + `
spec:
  partitions: 1
  partitionKey: user_id
  durability:
    maxBacklog: 16Mi
  flush:
    interval: 200ms
  sink:
    type: file
    file: {}
  storage:
    size: 64Mi
  resources:
    requests:
      cpu: 50m
      memory: 32Mi
    limits:
      memory: 128Mi
`

// newNamespace creates a namespace that enforces the restricted Pod
// Security Standard: the pods the operator makes must pass it.
func newNamespace(prefix string) string {
	ns := fmt.Sprintf("%s-%04x", prefix, rand.IntN(1<<16))
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
	}}}
	ExpectWithOffset(1, env.cl.Create(context.Background(), nsObj)).To(Succeed())
	return ns
}

// waitAvailable is `kubectl wait --for=condition=Available eic/NAME`.
func waitAvailable(ns, name string, timeout time.Duration) {
	mustRun(timeout+30*time.Second, env.Kubectl, "-n", ns, "wait", "--for=condition=Available", "eic/"+name,
		"--timeout="+timeout.String())
}

// ownedObjects lists "Kind/name" of the objects in ns whose owner is uid.
func ownedObjects(ns string, uid types.UID) []string {
	kinds := []schema.GroupVersionKind{
		{Group: "apps", Version: "v1", Kind: "StatefulSetList"},
		{Group: "apps", Version: "v1", Kind: "ControllerRevisionList"},
		{Version: "v1", Kind: "ServiceList"},
		{Version: "v1", Kind: "ConfigMapList"},
		{Version: "v1", Kind: "ServiceAccountList"},
		{Version: "v1", Kind: "PodList"},
		{Group: "policy", Version: "v1", Kind: "PodDisruptionBudgetList"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleList"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBindingList"},
	}
	var owned []string
	for _, gvk := range kinds {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk)
		ExpectWithOffset(1, env.cl.List(context.Background(), list, client.InNamespace(ns))).To(Succeed())
		for _, o := range list.Items {
			for _, ref := range o.OwnerReferences {
				if ref.UID == uid {
					owned = append(owned, strings.TrimSuffix(gvk.Kind, "List")+"/"+o.Name)
				}
			}
		}
	}
	return owned
}

// walRecovered returns the "write-ahead log recovered" lines the pod logged
// and how many records they hold that were not flushed (last - checkpoint).
func walRecovered(ns, pod string) (lines []string, lastSum, unflushed uint64) {
	out := mustKubectl("-n", ns, "logs", pod)
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			Msg        string `json:"msg"`
			Last       uint64 `json:"last"`
			Checkpoint uint64 `json:"checkpoint"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Msg != "write-ahead log recovered" {
			continue
		}
		lines = append(lines, sc.Text())
		lastSum += l.Last
		if l.Last > l.Checkpoint {
			unflushed += l.Last - l.Checkpoint
		}
	}
	return lines, lastSum, unflushed
}

var _ = Describe("EventIngestor on a single-node Kubernetes", Ordered, func() {
	var namespaces []string

	AfterEach(func() {
		if CurrentSpecReport().Failed() {
			dumpDiagnostics(namespaces...)
		}
	})

	Context("installed with the Helm chart", func() {
		var ns string

		It("installs the CRD and the operator with helm install and the operator becomes ready", func() {
			repo, tag, ok := strings.Cut(env.Image, ":")
			Expect(ok).To(BeTrue(), "E2E_IMAGE must be REPOSITORY:TAG, not %q", env.Image)
			d := timed("helm install (chart charts/eventingestor) until the operator is Available", func() {
				mustRun(5*time.Minute, env.Helm, "install", helmRelease, filepath.Join(env.Root, "charts", "eventingestor"),
					"--kubeconfig", env.Kubeconfig, "--namespace", helmNamespace, "--create-namespace",
					"--set", "image.repository="+repo, "--set", "image.tag="+tag, "--wait", "--timeout", "3m")
				mustKubectl("-n", helmNamespace, "wait", "--for=condition=Available", "deployment/"+helmRelease, "--timeout=2m")
				mustKubectl("wait", "--for=condition=Established", "crd/"+crdName, "--timeout=1m")
			})
			figure("operator ready after helm install: %s", d.Round(100*time.Millisecond))
		})

		It("runs a one-partition cluster that takes events", func() {
			ns = newNamespace("e2e-helm")
			namespaces = append(namespaces, ns)
			manifest := filepath.Join(env.WorkDir, "helm-smoke.yaml")
			Expect(os.WriteFile(manifest, []byte(helmSmokeCluster), 0o644)).To(Succeed())
			d := timed("apply a 1-partition cluster until it is Available", func() {
				mustKubectl("-n", ns, "apply", "-f", manifest)
				waitAvailable(ns, helmCluster, 3*time.Minute)
			})
			figure("CR → Available, 1 partition (Helm-installed operator): %s", d.Round(100*time.Millisecond))
			// The chart's operator gives the clusters its own image.
			c := getCluster(ns, helmCluster)
			Expect(c.Status.ReadyPartitions).To(BeEquivalentTo(1))
			out := mustKubectl("-n", ns, "get", "statefulset", helmCluster, "-o",
				"jsonpath={.spec.template.spec.containers[0].image}")
			Expect(out).To(Equal(env.Image))
			var r *benchResult
			timed("bench 2,000 events from 100 senders, verify", func() {
				r = startBench("helm: 1 partition, 2k events", serviceURL(ns, helmCluster),
					"--events", "2000", "--concurrency", "100").wait()
				verify(r, sinkDir(ns, helmCluster, 1))
			})
		})

		It("deletes the cluster, uninstalls the chart and deletes the CRD Helm leaves behind", func() {
			c := getCluster(ns, helmCluster)
			Expect(ownedObjects(ns, c.UID)).To(ContainElement("StatefulSet/" + helmCluster))
			timed("delete the cluster, its claims and its namespace", func() {
				mustKubectl("-n", ns, "delete", "eic", helmCluster, "--wait", "--timeout=2m")
				Eventually(func() []string { return ownedObjects(ns, c.UID) }).Should(BeEmpty())
				mustKubectl("delete", "namespace", ns, "--wait", "--timeout=3m")
			})
			timed("helm uninstall, then delete the CRD", func() {
				mustRun(5*time.Minute, env.Helm, "uninstall", helmRelease, "--kubeconfig", env.Kubeconfig,
					"--namespace", helmNamespace, "--wait", "--timeout", "3m")
				mustKubectl("delete", "namespace", helmNamespace, "--wait", "--timeout=3m")
				// crds/ of a chart are installed, never deleted, by Helm.
				mustKubectl("delete", "crd", crdName, "--wait", "--timeout=2m")
			})
		})
	})

	Context("installed with kustomize (config/default), running the sample cluster", func() {
		var (
			ns         string
			installYAM string
			url        string
			sinks      string
		)

		It("installs the CRD and the operator from config/default and the operator becomes ready", func() {
			dir := filepath.Join(env.WorkDir, "kustomize")
			Expect(os.CopyFS(dir, os.DirFS(filepath.Join(env.Root, "config")))).To(Succeed())
			// What config/manager/kustomization.yaml says to do; its replacement copies the image into
			// EVENTINGESTOR_IMAGE, the default image of the clusters.
			out, err := run(time.Minute, "sh", "-c", fmt.Sprintf("cd %q && %q edit set image eventingestor=%s",
				filepath.Join(dir, "manager"), env.Kustomize, env.Image))
			Expect(err).NotTo(HaveOccurred(), out)
			installYAM = filepath.Join(env.WorkDir, "install.yaml")
			rendered := mustRun(time.Minute, env.Kustomize, "build", filepath.Join(dir, "default"))
			Expect(os.WriteFile(installYAM, []byte(rendered), 0o644)).To(Succeed())
			Expect(rendered).To(ContainSubstring("value: " + env.Image))
			d := timed("kubectl apply config/default until the operator is Available", func() {
				mustKubectl("apply", "--server-side", "-f", installYAM)
				mustKubectl("wait", "--for=condition=Established", "crd/"+crdName, "--timeout=1m")
				mustKubectl("-n", operatorNamespace, "wait", "--for=condition=Available",
					"deployment/"+operatorDeployment, "--timeout=3m")
			})
			figure("operator ready after kubectl apply of config/default: %s", d.Round(100*time.Millisecond))
		})

		It("applies the sample cluster; it becomes Available and its printer columns show partitions, ready, epoch, phase", func() {
			ns = newNamespace("e2e")
			namespaces = append(namespaces, ns)
			sample := filepath.Join(env.Root, sampleFile)
			d := timed("apply "+sampleFile+" until kubectl wait --for=condition=Available", func() {
				mustKubectl("-n", ns, "apply", "-f", sample)
				waitAvailable(ns, sampleName, 3*time.Minute)
			})
			figure("CR → Available, 3 partitions (sample %s): %s", sampleName, d.Round(100*time.Millisecond))
			c := getCluster(ns, sampleName)
			Expect(c.Spec.Partitions).To(BeEquivalentTo(3))
			Expect(c.Spec.PartitionKey).To(Equal("user_id"))
			Expect(c.Spec.Sink.Type).To(Equal(v1alpha1.SinkFile))

			header, row := printerColumns(ns, sampleName)
			Expect(header).To(Equal([]string{"NAME", "PARTITIONS", "READY", "EPOCH", "PHASE", "AGE"}))
			Expect(row[:5]).To(Equal([]string{sampleName, "3", "3", "1", "Stable"}))

			url = serviceURL(ns, sampleName)
			sinks = sinkDir(ns, sampleName, 3)
			fmt.Fprintf(GinkgoWriter, "[e2e] Service %s; sink files under %s\n", url, sinks)
		})

		It("takes the seed's stress test through its Service: nothing lost, nothing reordered", func() {
			timed("seed's stress test (100,000 events, 2,000 senders) and verify", func() {
				r := startBench("1: seed, 3 partitions", url).wait()
				Expect(r.Acked).To(BeEquivalentTo(seedEvents))
				verify(r, sinks)
			})
			reportRestarts(ns, "run 1")
		})

		It("scales to 5 partitions under load: two pods join, the ring epoch moves, events keep flowing", func() {
			before := getCluster(ns, sampleName)
			// 1,000 users instead of the seed's 2: every partition, old and new, owns keys that move.
			b := startBench("2: scale 3→5 under load, 1k keys", url, "--keys", "1000")
			b.waitUnderLoad()
			scaleStart := time.Now()
			d := timed("kubectl scale eic/"+sampleName+" --replicas=5 until 5 partitions are ready", func() {
				mustKubectl("-n", ns, "scale", "eic/"+sampleName, fmt.Sprintf("--replicas=%d", scaledCount))
				Eventually(func(g Gomega) {
					c := &v1alpha1.EventIngestorCluster{}
					g.Expect(env.cl.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: sampleName}, c)).To(Succeed())
					g.Expect(c.Status.Ring.Epoch).To(BeNumerically(">", before.Status.Ring.Epoch))
					g.Expect(c.Status.Ring.Partitions).To(BeEquivalentTo(scaledCount))
					g.Expect(c.Status.ReadyPartitions).To(BeEquivalentTo(scaledCount))
					g.Expect(apimeta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionAvailable)).To(BeTrue())
				}).Should(Succeed())
				waitAvailable(ns, sampleName, time.Minute)
			})
			scaleReady := time.Now()
			after := getCluster(ns, sampleName)
			figure("scale 3→5: 5/5 partitions ready in %s, ring epoch %d → %d", d.Round(100*time.Millisecond),
				before.Status.Ring.Epoch, after.Status.Ring.Epoch)
			for p := 3; p < scaledCount; p++ {
				_, ready := podReady(ns, fmt.Sprintf("%s-%d", sampleName, p))
				Expect(ready).To(BeTrue(), "partition %d", p)
			}
			_, row := printerColumns(ns, sampleName)
			Expect(row[:5]).To(Equal([]string{sampleName, "5", "5", fmt.Sprint(after.Status.Ring.Epoch), "Stable"}))

			var r *benchResult
			timed("wait for the bench run and verify", func() {
				r = b.wait()
				Expect(r.Acked).To(BeEquivalentTo(seedEvents))
				during := ackedBetween(r.Record, scaleStart, scaleReady)
				figure("events kept flowing during the scale: %d acknowledged between kubectl scale and 5/5 ready (%s)",
					during, scaleReady.Sub(scaleStart).Round(100*time.Millisecond))
				Expect(during).To(BeNumerically(">", 0), "no event was acknowledged while the cluster scaled")
				verify(r, sinkDir(ns, sampleName, scaledCount))
			})
			reportRestarts(ns, "run 2 (scale)")
		})

		It("loses no acknowledged event when a partition's pod is force-deleted under load", func() {
			victim := sampleName + "-1"
			oldUID, ready := podReady(ns, victim)
			Expect(ready).To(BeTrue())
			pvc := &corev1.PersistentVolumeClaim{}
			Expect(env.cl.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "data-" + victim}, pvc)).To(Succeed())
			volume := pvc.Spec.VolumeName

			b := startBench("3: pod killed under load", url)
			b.waitUnderLoad()
			killed := time.Now()
			d := timed("kubectl delete pod "+victim+" --grace-period=0 --force until its successor is Ready", func() {
				mustKubectl("-n", ns, "delete", "pod", victim, "--grace-period=0", "--force")
				Eventually(func() bool {
					uid, ready := podReady(ns, victim)
					return ready && uid != oldUID
				}).Should(BeTrue())
			})
			back := time.Now()
			figure("pod %s force-deleted under load: back and Ready in %s", victim, d.Round(100*time.Millisecond))

			// Same claim, same volume: the new pod found its WAL there.
			Expect(env.cl.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "data-" + victim}, pvc)).To(Succeed())
			Expect(pvc.Spec.VolumeName).To(Equal(volume))
			lines, last, unflushed := walRecovered(ns, victim)
			Expect(lines).NotTo(BeEmpty(), "the new pod logged no WAL recovery")
			Expect(last).To(BeNumerically(">", 0), "the new pod recovered empty logs: its volume's WAL was not there:\n%s",
				strings.Join(lines, "\n"))
			figure("WAL of %s recovered from its volume: %d shard log(s), last index sum %d, %d record(s) not yet flushed at the kill",
				victim, len(lines), last, unflushed)

			timed("wait for the bench run and verify", func() {
				r := b.wait()
				Expect(r.Acked).To(BeEquivalentTo(seedEvents))
				figure("events acknowledged while %s was away: %d (%d retries in the run: %s)", victim,
					ackedBetween(r.Record, killed, back), r.Retries, r.Errors)
				verify(r, sinks)
			})
			reportRestarts(ns, "run 3 (pod force-deleted)")
		})

		It("replays the WAL of a partition whose process is SIGKILLed under load (as an OOM kill would)", func() {
			// kubectl delete --force above lets the kubelet send SIGTERM first, and a partition flushes
			// its log when it stops; SIGKILL of its process leaves acknowledged, unflushed events in
			// the WAL on its volume, and the kubelet restarts the container in the same pod.
			victim := sampleName + "-2"
			b := startBench("4: SIGKILL of a partition, 1k keys", url, "--keys", "1000")
			b.waitUnderLoad()
			pod := &corev1.Pod{}
			Expect(env.cl.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: victim}, pod)).To(Succeed())
			Expect(pod.Status.ContainerStatuses).To(HaveLen(1))
			restarts := pod.Status.ContainerStatuses[0].RestartCount
			containerID := strings.TrimPrefix(pod.Status.ContainerStatuses[0].ContainerID, "containerd://")
			pid := containerPID(containerID)
			backlog := partitionBacklog(pod.Status.PodIP)
			killed := time.Now()
			d := timed(fmt.Sprintf("kill -9 the process of %s (pid %d) until it is Ready again", victim, pid), func() {
				Expect(syscall.Kill(pid, syscall.SIGKILL)).To(Succeed())
				Eventually(func(g Gomega) {
					p := &corev1.Pod{}
					g.Expect(env.cl.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: victim}, p)).To(Succeed())
					g.Expect(p.UID).To(Equal(pod.UID), "the same pod")
					g.Expect(p.Status.ContainerStatuses).To(HaveLen(1))
					g.Expect(p.Status.ContainerStatuses[0].RestartCount).To(BeNumerically(">", restarts))
					g.Expect(p.Status.ContainerStatuses[0].Ready).To(BeTrue())
				}).Should(Succeed())
			})
			back := time.Now()
			lines, last, unflushed := walRecovered(ns, victim)
			Expect(lines).NotTo(BeEmpty(), "the restarted container logged no WAL recovery")
			figure("%s SIGKILLed under load (backlog before the kill: %s): Ready again in %s; its WAL recovered "+
				"%d record(s) acknowledged but not yet flushed (%d shard log(s), last index sum %d)", victim, backlog,
				d.Round(100*time.Millisecond), unflushed, len(lines), last)
			Expect(unflushed).To(BeNumerically(">", 0),
				"the WAL held no unflushed record at the kill, so nothing was replayed:\n%s", strings.Join(lines, "\n"))

			timed("wait for the bench run and verify", func() {
				r := b.wait()
				Expect(r.Acked).To(BeEquivalentTo(seedEvents))
				figure("events acknowledged while %s restarted: %d", victim, ackedBetween(r.Record, killed, back))
				verify(r, sinks)
			})
			reportRestarts(ns, "run 4 (SIGKILL; one restart of "+victim+" is the test's)")
		})

		It("deletes the cluster: everything it owned is garbage-collected", func() {
			c := getCluster(ns, sampleName)
			owned := ownedObjects(ns, c.UID)
			for _, want := range []string{
				"StatefulSet/" + sampleName, "Service/" + sampleName, "Service/" + sampleName + "-headless",
				"ConfigMap/" + sampleName + "-ring", "PodDisruptionBudget/" + sampleName,
				"ServiceAccount/" + sampleName, "Role/" + sampleName, "RoleBinding/" + sampleName,
			} {
				Expect(owned).To(ContainElement(want))
			}
			var sts string
			for _, o := range owned {
				if strings.HasPrefix(o, "StatefulSet/") {
					sts = o
				}
			}
			Expect(sts).NotTo(BeEmpty())
			d := timed("kubectl delete eic "+sampleName+" until its objects and pods are gone", func() {
				mustKubectl("-n", ns, "delete", "eic", sampleName, "--wait", "--timeout=2m")
				Eventually(func() []string { return ownedObjects(ns, c.UID) }).Should(BeEmpty())
				Eventually(func() int {
					pods := &corev1.PodList{}
					Expect(env.cl.List(context.Background(), pods, client.InNamespace(ns))).To(Succeed())
					return len(pods.Items)
				}).Should(BeZero())
			})
			figure("garbage collection of %d owned objects (%s) and the pods: %s", len(owned),
				strings.Join(owned, ", "), d.Round(100*time.Millisecond))

			// The claims outlive the cluster (persistentVolumeClaimRetentionPolicy Retain: a volume
			// may hold acknowledged events not flushed yet); deleting them frees the volumes.
			claims := &corev1.PersistentVolumeClaimList{}
			Expect(env.cl.List(context.Background(), claims, client.InNamespace(ns))).To(Succeed())
			Expect(claims.Items).To(HaveLen(scaledCount))
			timed("delete the claims: the provisioner deletes the volumes", func() {
				mustKubectl("-n", ns, "delete", "pvc", "--all", "--wait", "--timeout=2m")
				Eventually(func() []string {
					pvs := &corev1.PersistentVolumeList{}
					Expect(env.cl.List(context.Background(), pvs)).To(Succeed())
					var left []string
					for _, pv := range pvs.Items {
						if pv.Spec.ClaimRef != nil && pv.Spec.ClaimRef.Namespace == ns {
							left = append(left, pv.Name)
						}
					}
					return left
				}).Should(BeEmpty())
				Eventually(func() bool {
					_, err := os.Stat(filepath.Join(env.VolumesDir, ns))
					return os.IsNotExist(err)
				}).Should(BeTrue(), "the volumes' folders are still there")
			})
		})

		It("uninstalls the operator", func() {
			timed("kubectl delete the config/default objects", func() {
				mustKubectl("delete", "namespace", ns, "--wait", "--timeout=3m")
				mustKubectl("delete", "-f", installYAM, "--wait", "--timeout=3m")
			})
		})
	})
})
