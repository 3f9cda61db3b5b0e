package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Tests of serviceaccount.go, role.go and rolebinding.go: the pods' identity
// may read their own ring ConfigMap and nothing else.

func TestServiceAccount(t *testing.T) {
	for _, name := range []string{"seed", "orders"} {
		sa := typed[corev1.ServiceAccount](t, serviceAccount(newCluster(name, "ns")))
		expect(t, "name", sa.Name, name)
		expect(t, "namespace", sa.Namespace, "ns")
	}
}

func TestRole(t *testing.T) {
	for _, name := range []string{"seed", "orders"} {
		r := typed[rbacv1.Role](t, role(newCluster(name, "ns")))
		expect(t, "name", r.Name, name)
		expectJSON(t, "rules", r.Rules, []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"configmaps"},
			ResourceNames: []string{name + "-ring"}, Verbs: []string{"get", "list", "watch"},
		}})
	}
}

func TestRoleBinding(t *testing.T) {
	for _, name := range []string{"seed", "orders"} {
		rb := typed[rbacv1.RoleBinding](t, roleBinding(newCluster(name, "team")))
		expect(t, "name", rb.Name, name)
		expect(t, "roleRef", rb.RoleRef, rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name})
		expectJSON(t, "subjects", rb.Subjects, []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: "team"}})
	}
}
