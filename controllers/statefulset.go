package controllers

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// The pods run as this unprivileged user and group (distroless "nonroot");
// the group owns the data volume (fsGroup).
const (
	podUser  = int64(65532)
	podGroup = int64(65532)
)

// Probe settings. Readiness reacts within seconds (a partition that is not
// ready gets no traffic through the client Service); liveness tolerates a
// minute of failures before the kubelet restarts the pod.
const (
	readinessPeriodSeconds    = 5
	readinessFailureThreshold = 2
	livenessPeriodSeconds     = 10
	livenessFailureThreshold  = 6
	probeTimeoutSeconds       = 3
)

// statefulSet builds StatefulSet NAME: one pod per partition of a ring of
// `replicas` partitions, each running `eventingestor serve` from image with
// its own volume. It fails only if a user-given pod setting cannot be
// converted.
func statefulSet(c *v1alpha1.EventIngestorCluster, image string, replicas int32) (*appsv1ac.StatefulSetApplyConfiguration, error) {
	pod, err := podTemplate(c, image)
	if err != nil {
		return nil, err
	}
	return appsv1ac.StatefulSet(c.Name, c.Namespace).
		WithLabels(objectLabels(c, map[string]string{v1alpha1.LabelComponent: v1alpha1.ComponentPartition})).
		WithOwnerReferences(ownerReference(c)).
		WithSpec(appsv1ac.StatefulSetSpec().
			WithReplicas(replicas).
			WithServiceName(c.HeadlessServiceName()).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(c.PodLabels())).
			// Partitions are independent: start and stop them all at once.
			WithPodManagementPolicy(appsv1.ParallelPodManagement).
			WithUpdateStrategy(appsv1ac.StatefulSetUpdateStrategy().
				WithType(appsv1.RollingUpdateStatefulSetStrategyType)).
			// A volume may hold acknowledged events that are not flushed yet:
			// keep it when the cluster shrinks or is deleted.
			WithPersistentVolumeClaimRetentionPolicy(appsv1ac.StatefulSetPersistentVolumeClaimRetentionPolicy().
				WithWhenDeleted(appsv1.RetainPersistentVolumeClaimRetentionPolicyType).
				WithWhenScaled(appsv1.RetainPersistentVolumeClaimRetentionPolicyType)).
			WithTemplate(pod).
			WithVolumeClaimTemplates(dataVolumeClaim(c))), nil
}

// podTemplate is the pod of a partition.
func podTemplate(c *v1alpha1.EventIngestorCluster, image string) (*corev1ac.PodTemplateSpecApplyConfiguration, error) {
	s := &c.Spec
	container, err := partitionContainer(c, image)
	if err != nil {
		return nil, err
	}
	spec := corev1ac.PodSpec().
		WithServiceAccountName(c.Name).
		WithEnableServiceLinks(false).
		WithTerminationGracePeriodSeconds(terminationGracePeriodSeconds(c)).
		WithSecurityContext(corev1ac.PodSecurityContext().
			WithRunAsNonRoot(true).
			WithRunAsUser(podUser).
			WithRunAsGroup(podGroup).
			WithFSGroup(podGroup).
			WithFSGroupChangePolicy(corev1.FSGroupChangeOnRootMismatch).
			WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))).
		WithContainers(container).
		WithVolumes(
			corev1ac.Volume().WithName(ringVolume).
				WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName(c.RingConfigMapName())),
			corev1ac.Volume().WithName(tmpVolume).
				WithEmptyDir(corev1ac.EmptyDirVolumeSource()))
	for _, ref := range s.ImagePullSecrets {
		spec.WithImagePullSecrets(corev1ac.LocalObjectReference().WithName(ref.Name))
	}
	if len(s.NodeSelector) > 0 {
		spec.WithNodeSelector(s.NodeSelector)
	}
	if s.PriorityClassName != "" {
		spec.WithPriorityClassName(s.PriorityClassName)
	}
	if s.Affinity != nil {
		affinity, err := convert[corev1ac.AffinityApplyConfiguration](s.Affinity)
		if err != nil {
			return nil, fmt.Errorf("spec.affinity: %w", err)
		}
		spec.WithAffinity(affinity)
	}
	for i := range s.Tolerations {
		t, err := convert[corev1ac.TolerationApplyConfiguration](&s.Tolerations[i])
		if err != nil {
			return nil, fmt.Errorf("spec.tolerations[%d]: %w", i, err)
		}
		spec.WithTolerations(t)
	}
	for i := range s.TopologySpreadConstraints {
		t, err := convert[corev1ac.TopologySpreadConstraintApplyConfiguration](&s.TopologySpreadConstraints[i])
		if err != nil {
			return nil, fmt.Errorf("spec.topologySpreadConstraints[%d]: %w", i, err)
		}
		spec.WithTopologySpreadConstraints(t)
	}
	tmpl := corev1ac.PodTemplateSpec().
		WithLabels(c.PodLabels()).
		WithSpec(spec)
	if len(s.PodAnnotations) > 0 {
		tmpl.WithAnnotations(s.PodAnnotations)
	}
	return tmpl, nil
}

// partitionContainer is the eventingestor container of a partition pod.
func partitionContainer(c *v1alpha1.EventIngestorCluster, image string) (*corev1ac.ContainerApplyConfiguration, error) {
	ctr := corev1ac.Container().
		WithName(containerName).
		WithImage(image).
		WithImagePullPolicy(pullPolicyFor(c)).
		WithArgs(serveArgs(c)...).
		WithEnv(serveEnv(c)...).
		WithPorts(corev1ac.ContainerPort().
			WithName(portName).
			WithContainerPort(containerPort).
			WithProtocol(corev1.ProtocolTCP)).
		WithVolumeMounts(
			corev1ac.VolumeMount().WithName(ringVolume).WithMountPath(ringMountPath).WithReadOnly(true),
			corev1ac.VolumeMount().WithName(dataVolume).WithMountPath(dataMountPath),
			corev1ac.VolumeMount().WithName(tmpVolume).WithMountPath(tmpMountPath)).
		WithReadinessProbe(httpProbe("/readyz", readinessPeriodSeconds, readinessFailureThreshold)).
		WithLivenessProbe(httpProbe("/healthz", livenessPeriodSeconds, livenessFailureThreshold)).
		WithSecurityContext(corev1ac.SecurityContext().
			WithRunAsNonRoot(true).
			WithReadOnlyRootFilesystem(true).
			WithAllowPrivilegeEscalation(false).
			WithPrivileged(false).
			WithCapabilities(corev1ac.Capabilities().WithDrop("ALL")).
			WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault)))
	r := c.Spec.Resources
	if len(r.Limits) > 0 || len(r.Requests) > 0 || len(r.Claims) > 0 {
		res, err := convert[corev1ac.ResourceRequirementsApplyConfiguration](&r)
		if err != nil {
			return nil, fmt.Errorf("spec.resources: %w", err)
		}
		ctr.WithResources(res)
	}
	return ctr, nil
}

// dataVolumeClaim is the volumeClaimTemplate "data": PVC data-NAME-p of
// partition p holds its WAL (and the file sink's output by default).
func dataVolumeClaim(c *v1alpha1.EventIngestorCluster) *corev1ac.PersistentVolumeClaimApplyConfiguration {
	spec := corev1ac.PersistentVolumeClaimSpec().
		WithAccessModes(corev1.ReadWriteOnce).
		WithResources(corev1ac.VolumeResourceRequirements().
			WithRequests(corev1.ResourceList{corev1.ResourceStorage: c.Spec.Storage.SizeOrDefault()}))
	if c.Spec.Storage.StorageClassName != nil {
		spec.WithStorageClassName(*c.Spec.Storage.StorageClassName)
	}
	// No kind/apiVersion: a template inside a StatefulSet is not a
	// stand-alone object (corev1ac.PersistentVolumeClaim would set both).
	claim := &corev1ac.PersistentVolumeClaimApplyConfiguration{}
	return claim.
		WithName(dataVolume).
		WithLabels(objectLabels(c, nil)).
		WithSpec(spec)
}

func httpProbe(path string, period, failures int32) *corev1ac.ProbeApplyConfiguration {
	return corev1ac.Probe().
		WithHTTPGet(corev1ac.HTTPGetAction().WithPath(path).WithPort(intstr.FromString(portName))).
		WithPeriodSeconds(period).
		WithTimeoutSeconds(probeTimeoutSeconds).
		WithFailureThreshold(failures)
}
