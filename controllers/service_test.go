package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

func TestClientService(t *testing.T) {
	tests := []struct {
		name       string
		spec       v1alpha1.ServiceSpec
		wantType   corev1.ServiceType
		wantPort   int32
		wantAnnots map[string]string
	}{
		{"defaults", v1alpha1.ServiceSpec{}, corev1.ServiceTypeClusterIP, 8080, nil},
		{"schema defaults", v1alpha1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Port: 8080}, corev1.ServiceTypeClusterIP, 8080, nil},
		{
			"load balancer on port 80",
			v1alpha1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Port: 80, Annotations: map[string]string{"lb.example/internal": "true"}},
			corev1.ServiceTypeLoadBalancer, 80, map[string]string{"lb.example/internal": "true"},
		},
		{"node port", v1alpha1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Port: 9000}, corev1.ServiceTypeNodePort, 9000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster("seed", "ns", func(c *v1alpha1.EventIngestorCluster) { c.Spec.Service = tt.spec })
			svc := typed[corev1.Service](t, clientService(c))
			expect(t, "name", svc.Name, "seed")
			expect(t, "type", svc.Spec.Type, tt.wantType)
			expectJSON(t, "ports", svc.Spec.Ports, []corev1.ServicePort{{
				Name: "http", Protocol: corev1.ProtocolTCP, Port: tt.wantPort, TargetPort: intstr.FromString("http"),
			}})
			expectJSON(t, "selector", svc.Spec.Selector, c.PodLabels())
			expectJSON(t, "annotations", svc.Annotations, tt.wantAnnots)
			// The API server allocates these; owning them would fight it.
			expect(t, "clusterIP", svc.Spec.ClusterIP, "")
			expect(t, "nodePort", svc.Spec.Ports[0].NodePort, int32(0))
			expect(t, "component", svc.Labels[v1alpha1.LabelComponent], "client")
		})
	}
}

func TestHeadlessService(t *testing.T) {
	for _, name := range []string{"seed", "orders"} {
		c := newCluster(name, "ns")
		svc := typed[corev1.Service](t, headlessService(c))
		expect(t, "name", svc.Name, name+"-headless")
		expect(t, "clusterIP", svc.Spec.ClusterIP, corev1.ClusterIPNone)
		expect(t, "publishNotReadyAddresses", svc.Spec.PublishNotReadyAddresses, true)
		expect(t, "type", svc.Spec.Type, corev1.ServiceType(""))
		expectJSON(t, "selector", svc.Spec.Selector, c.PodLabels())
		expectJSON(t, "ports", svc.Spec.Ports, []corev1.ServicePort{{
			Name: "http", Protocol: corev1.ProtocolTCP, Port: 8080, TargetPort: intstr.FromString("http"),
		}})
	}
}
