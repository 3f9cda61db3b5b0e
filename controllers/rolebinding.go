package controllers

import (
	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// roleBinding builds RoleBinding NAME granting Role NAME to ServiceAccount
// NAME.
func roleBinding(c *v1alpha1.EventIngestorCluster) *rbacv1ac.RoleBindingApplyConfiguration {
	return rbacv1ac.RoleBinding(c.Name, c.Namespace).
		WithLabels(objectLabels(c, nil)).
		WithOwnerReferences(ownerReference(c)).
		WithRoleRef(rbacv1ac.RoleRef().
			WithAPIGroup(rbacv1.GroupName).
			WithKind("Role").
			WithName(c.Name)).
		WithSubjects(rbacv1ac.Subject().
			WithKind(rbacv1.ServiceAccountKind).
			WithName(c.Name).
			WithNamespace(c.Namespace))
}
