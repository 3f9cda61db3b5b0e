package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// headlessService builds Service NAME-headless, the StatefulSet's governing
// Service: it gives pod p the DNS name NAME-p.NAME-headless.NAMESPACE.svc the
// partitions forward to. Not-ready pods are published too, so that peers
// find each other while they recover their WALs.
func headlessService(c *v1alpha1.EventIngestorCluster) *corev1ac.ServiceApplyConfiguration {
	return corev1ac.Service(c.HeadlessServiceName(), c.Namespace).
		WithLabels(objectLabels(c, map[string]string{v1alpha1.LabelComponent: v1alpha1.ComponentPartition})).
		WithOwnerReferences(ownerReference(c)).
		WithSpec(corev1ac.ServiceSpec().
			WithClusterIP(corev1.ClusterIPNone).
			WithPublishNotReadyAddresses(true).
			WithSelector(c.PodLabels()).
			WithPorts(corev1ac.ServicePort().
				WithName(portName).
				WithProtocol(corev1.ProtocolTCP).
				WithPort(containerPort).
				WithTargetPort(intstr.FromString(portName))))
}
