// Command local-path-provisioner is the dynamic volume provisioner of the
// single-node e2e cluster that hack/local-k8s/up.sh starts (on the host, next
// to the kubelet).
//
// It provisions the claims of every StorageClass whose provisioner is
// --provisioner as `local` PersistentVolumes: a directory
// DIR/<namespace>/<claim>_<volume> on this node, with node affinity to it.
// The kubelet applies a pod's fsGroup to local volumes (unlike hostPath
// ones, whose directories the in-tree hostpath provisioner creates root-owned
// and mode 0750, unwritable for non-root pods), so pods that run as an
// unprivileged user with an fsGroup can write their volume. When a volume it
// provisioned is released and its reclaim policy is Delete, it removes the
// directory and the PersistentVolume.
//
// It polls the API server (--interval): the cluster is small and the loop
// is simple enough to be obviously right after a crash or restart.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Annotations of the PersistentVolume controller's protocol with external
// provisioners.
const (
	annStorageProvisioner     = "volume.kubernetes.io/storage-provisioner"
	annBetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
	annSelectedNode           = "volume.kubernetes.io/selected-node"
	annProvisionedBy          = "pv.kubernetes.io/provisioned-by"
	labelHostname             = "kubernetes.io/hostname"
)

type provisioner struct {
	cs          kubernetes.Interface
	name        string // provisioner name, e.g. e2e.eventingestor.io/local-path
	dir         string // base directory of the volumes
	node        string // this node's name (its kubernetes.io/hostname label)
	log         *slog.Logger
	reported    map[string]bool // claims already reported as unsupported
	reportedDel map[string]bool
}

func main() {
	var (
		kubeconfig = flag.String("kubeconfig", "", "kubeconfig of the cluster")
		name       = flag.String("provisioner", "e2e.eventingestor.io/local-path", "provisioner name of the StorageClasses served")
		dir        = flag.String("dir", "", "base directory of the volumes (required)")
		node       = flag.String("node", "", "name of this node (required)")
		interval   = flag.Duration("interval", 500*time.Millisecond, "how often to look for claims and released volumes")
	)
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*kubeconfig, *name, *dir, *node, *interval, log); err != nil {
		log.Error("local-path-provisioner failed", "err", err)
		os.Exit(1)
	}
}

func run(kubeconfig, name, dir, node string, interval time.Duration, log *slog.Logger) error {
	if dir == "" || node == "" {
		return errors.New("--dir and --node are required")
	}
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("--dir must be absolute, not %q", dir)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.UserAgent = "local-path-provisioner"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // pods' volumes live below; each one is 0700 until the kubelet applies the fsGroup
		return err
	}
	p := &provisioner{cs: cs, name: name, dir: dir, node: node, log: log,
		reported: map[string]bool{}, reportedDel: map[string]bool{}}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log.Info("serving", "provisioner", name, "dir", dir, "node", node)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := p.pass(ctx); err != nil && ctx.Err() == nil {
			log.Warn("pass failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			log.Info("stopping")
			return nil
		case <-t.C:
		}
	}
}

// pass provisions what is waiting and deletes what was released.
func (p *provisioner) pass(ctx context.Context) error {
	classes, err := p.cs.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list StorageClasses: %w", err)
	}
	ours := map[string]*storagev1.StorageClass{}
	for i := range classes.Items {
		if c := &classes.Items[i]; c.Provisioner == p.name {
			ours[c.Name] = c
		}
	}
	var errs []error
	if len(ours) > 0 {
		claims, err := p.cs.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("list PersistentVolumeClaims: %w", err)
		}
		for i := range claims.Items {
			if err := p.maybeProvision(ctx, &claims.Items[i], ours); err != nil {
				errs = append(errs, err)
			}
		}
	}
	vols, err := p.cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list PersistentVolumes: %w", err)
	}
	for i := range vols.Items {
		if err := p.maybeDelete(ctx, &vols.Items[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// maybeProvision creates the volume of claim c if the PersistentVolume
// controller handed it to this provisioner.
func (p *provisioner) maybeProvision(ctx context.Context, c *corev1.PersistentVolumeClaim, ours map[string]*storagev1.StorageClass) error {
	if c.Spec.VolumeName != "" || c.Status.Phase != corev1.ClaimPending || c.DeletionTimestamp != nil {
		return nil
	}
	if c.Spec.StorageClassName == nil {
		return nil
	}
	class, ok := ours[*c.Spec.StorageClassName]
	if !ok {
		return nil
	}
	if c.Annotations[annStorageProvisioner] != p.name && c.Annotations[annBetaStorageProvisioner] != p.name {
		return nil // the PersistentVolume controller has not asked for a volume (yet)
	}
	selected := c.Annotations[annSelectedNode]
	if class.VolumeBindingMode != nil && *class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer && selected == "" {
		return nil // waiting for the scheduler to pick the node
	}
	if selected != "" && selected != p.node {
		return nil
	}
	key := c.Namespace + "/" + c.Name
	if c.Spec.VolumeMode != nil && *c.Spec.VolumeMode == corev1.PersistentVolumeBlock {
		if !p.reported[key] {
			p.reported[key] = true
			p.log.Warn("block volumes are not supported", "claim", key)
		}
		return nil
	}
	pvName := "pvc-" + string(c.UID)
	if _, err := p.cs.CoreV1().PersistentVolumes().Get(ctx, pvName, metav1.GetOptions{}); err == nil {
		return nil // created by an earlier pass; the PV controller binds it
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	path := filepath.Join(p.dir, c.Namespace, c.Name+"_"+pvName)
	// 0700: only root until the kubelet applies the pod's fsGroup.
	if err := os.MkdirAll(path, 0o700); err != nil {
		return fmt.Errorf("claim %s: %w", key, err)
	}
	reclaim := corev1.PersistentVolumeReclaimDelete
	if class.ReclaimPolicy != nil {
		reclaim = *class.ReclaimPolicy
	}
	size := c.Spec.Resources.Requests[corev1.ResourceStorage]
	filesystem := corev1.PersistentVolumeFilesystem
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        pvName,
			Annotations: map[string]string{annProvisionedBy: p.name},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   c.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              class.Name,
			VolumeMode:                    &filesystem,
			MountOptions:                  class.MountOptions,
			ClaimRef: &corev1.ObjectReference{
				APIVersion: "v1", Kind: "PersistentVolumeClaim",
				Namespace: c.Namespace, Name: c.Name, UID: c.UID,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				Local: &corev1.LocalVolumeSource{Path: path},
			},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
					Key: labelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{p.node},
				}}}},
			}},
		},
	}
	if _, err := p.cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("claim %s: create PersistentVolume %s: %w", key, pvName, err)
	}
	p.log.Info("provisioned", "claim", key, "volume", pvName, "path", path, "size", size.String())
	return nil
}

// maybeDelete removes a volume this provisioner created once it is released
// and its reclaim policy is Delete.
func (p *provisioner) maybeDelete(ctx context.Context, pv *corev1.PersistentVolume) error {
	if pv.Annotations[annProvisionedBy] != p.name || pv.DeletionTimestamp != nil {
		return nil
	}
	if pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		return nil
	}
	if pv.Status.Phase != corev1.VolumeReleased && pv.Status.Phase != corev1.VolumeFailed {
		return nil
	}
	if pv.Spec.Local == nil {
		return nil
	}
	path := filepath.Clean(pv.Spec.Local.Path)
	if !strings.HasPrefix(path, p.dir+string(filepath.Separator)) {
		if !p.reportedDel[pv.Name] {
			p.reportedDel[pv.Name] = true
			p.log.Warn("not deleting a volume outside the base directory", "volume", pv.Name, "path", path)
		}
		return nil
	}
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("volume %s: %w", pv.Name, err)
	}
	_ = os.Remove(filepath.Dir(path)) // the namespace's directory, once empty
	err := p.cs.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &pv.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete PersistentVolume %s: %w", pv.Name, err)
	}
	p.log.Info("deleted", "volume", pv.Name, "path", path)
	return nil
}
