//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// env is the suite's view of the cluster, set by BeforeSuite.
var env *suiteEnv

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(3 * time.Minute)
	SetDefaultEventuallyPollingInterval(250 * time.Millisecond)
	RunSpecs(t, "EventIngestor end to end (single-node Kubernetes on this machine)")
}

var _ = BeforeSuite(func() {
	var err error
	env, err = loadEnv()
	// Never a skip: without a cluster the suite fails.
	Expect(err).NotTo(HaveOccurred())
	Expect(os.RemoveAll(env.WorkDir)).To(Succeed())
	Expect(os.MkdirAll(env.WorkDir, 0o755)).To(Succeed())
	env.cl, err = env.newClient()
	Expect(err).NotTo(HaveOccurred())

	timed("the cluster answers: API server ready, node Ready, images present", func() {
		out, err := kubectl("get", "--raw", "/readyz")
		Expect(err).NotTo(HaveOccurred(), "the API server of the local cluster is unreachable (%s):\n%s\n"+
			"component logs are in %s", env.Kubeconfig, out, env.LogsDir)
		node := &corev1.Node{}
		Expect(env.cl.Get(context.Background(), types.NamespacedName{Name: env.NodeName}, node)).To(Succeed())
		ready := false
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady {
				ready = c.Status == corev1.ConditionTrue
			}
		}
		Expect(ready).To(BeTrue(), "node %s is not Ready", env.NodeName)
		// The images must be there: with imagePullPolicy IfNotPresent nothing is ever pulled.
		images := mustRun(time.Minute, "ctr", "--address", env.Containerd, "--namespace", "k8s.io", "images", "ls", "-q")
		Expect(strings.Fields(images)).To(ContainElement(env.Image), "run make image")
		Expect(strings.Fields(images)).To(ContainElement("docker.io/library/eventingestor-pause:e2e"))
	})
	figure("cluster bring-up (hack/local-k8s/up.sh): %s", env.BringUp)
	var version struct {
		GitVersion string `json:"gitVersion"`
	}
	Expect(json.Unmarshal([]byte(mustKubectl("get", "--raw", "/version")), &version)).To(Succeed())
	figure("Kubernetes %s, node %s", version.GitVersion, env.NodeName)
})

var _ = AfterSuite(func() {
	if env == nil {
		return
	}
	s := summary.String()
	fmt.Fprintf(GinkgoWriter, "\n%s", s)
	if env.Summary != "" {
		_ = os.WriteFile(env.Summary, []byte(s), 0o644)
	}
})
