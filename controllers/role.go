package controllers

import (
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// role builds Role NAME: read access to the cluster's own ring ConfigMap and
// nothing else, so that pods may watch the ring through the API.
func role(c *v1alpha1.EventIngestorCluster) *rbacv1ac.RoleApplyConfiguration {
	return rbacv1ac.Role(c.Name, c.Namespace).
		WithLabels(objectLabels(c, nil)).
		WithOwnerReferences(ownerReference(c)).
		WithRules(rbacv1ac.PolicyRule().
			WithAPIGroups("").
			WithResources("configmaps").
			WithResourceNames(c.RingConfigMapName()).
			WithVerbs("get", "list", "watch"))
}
