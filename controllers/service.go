package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// componentClient is the component label of the client Service.
const componentClient = "client"

// clientService builds Service NAME that clients send events to: any ready
// pod accepts any event and forwards it to its owner.
func clientService(c *v1alpha1.EventIngestorCluster) *corev1ac.ServiceApplyConfiguration {
	svcType := c.Spec.Service.Type
	if svcType == "" {
		svcType = v1alpha1.DefaultServiceType
	}
	svc := corev1ac.Service(c.Name, c.Namespace).
		WithLabels(objectLabels(c, map[string]string{v1alpha1.LabelComponent: componentClient})).
		WithOwnerReferences(ownerReference(c)).
		WithSpec(corev1ac.ServiceSpec().
			WithType(svcType).
			WithSelector(c.PodLabels()).
			WithPorts(corev1ac.ServicePort().
				WithName(portName).
				WithProtocol(corev1.ProtocolTCP).
				WithPort(c.Spec.Service.PortOrDefault()).
				WithTargetPort(intstr.FromString(portName))))
	if len(c.Spec.Service.Annotations) > 0 {
		svc.WithAnnotations(c.Spec.Service.Annotations)
	}
	return svc
}
