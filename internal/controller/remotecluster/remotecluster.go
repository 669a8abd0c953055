// Package remotecluster reconciles RemoteClusters: it reads each kubeconfig Secret, connects and
// probes the cluster through the cluster cache, and reports the outcome in the Ready condition.
package remotecluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/clustercache"
	"github.com/dr-syncer/dr-syncer/internal/metrics"
)

// SecretNameField indexes RemoteClusters by spec.kubeconfigSecretRef.name.
const SecretNameField = "spec.kubeconfigSecretRef.name"

// Setup registers the RemoteCluster reconciler for the RemoteClusters in namespace.
func Setup(mgr ctrl.Manager, cc *clustercache.Cache, namespace string) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &drv1.RemoteCluster{}, SecretNameField,
		func(o client.Object) []string {
			return []string{o.(*drv1.RemoteCluster).Spec.KubeconfigSecretRef.Name}
		}); err != nil {
		return fmt.Errorf("indexing RemoteClusters by Secret: %w", err)
	}
	r := &reconciler{
		client:    mgr.GetClient(),
		apiReader: mgr.GetAPIReader(),
		cache:     cc,
		recorder:  mgr.GetEventRecorder("dr-syncer.io/remotecluster"),
		namespace: namespace,
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("remotecluster").
		// Our own status writes do not change the generation and so trigger nothing.
		For(&drv1.RemoteCluster{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.clustersForSecret)).
		// Probes wait on the network (up to clustercache.ProbeTimeout): one slow cluster must not
		// hold up the others.
		WithOptions(controller.Options{MaxConcurrentReconciles: 4}).
		Complete(r)
}

type reconciler struct {
	client    client.Client
	apiReader client.Reader
	cache     *clustercache.Cache
	recorder  recorder.EventRecorder
	namespace string
}

// clustersForSecret maps a Secret to the RemoteClusters that reference it.
func (r *reconciler) clustersForSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	if secret.GetNamespace() != r.namespace {
		return nil
	}
	list := &drv1.RemoteClusterList{}
	if err := r.client.List(ctx, list, client.InNamespace(r.namespace), client.MatchingFields{SecretNameField: secret.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing RemoteClusters for Secret", "secret", klog.KObj(secret))
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, rc := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: rc.Namespace, Name: rc.Name}})
	}
	return reqs
}

// outcome is what one reconcile found out about the cluster.
type outcome struct {
	reason  string
	message string
	version string
	// clusterID is the UID of the cluster's kube-system namespace ("" when unreadable).
	clusterID string
	// stalled: nothing changes until a person edits the Secret or the RemoteCluster.
	stalled bool
}

func (r *reconciler) Reconcile(ctx context.Context, req reconcile.Request) (res reconcile.Result, retErr error) {
	if req.Namespace != r.namespace {
		return reconcile.Result{}, nil
	}
	log := ctrl.LoggerFrom(ctx)

	rc := &drv1.RemoteCluster{}
	if err := r.client.Get(ctx, req.NamespacedName, rc); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.Name)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	if !rc.DeletionTimestamp.IsZero() {
		// No finalizer of ours: the object is on its way out; stop using it now.
		r.forget(rc.Name)
		return reconcile.Result{}, nil
	}

	before := rc.DeepCopy()
	defer func() {
		if equality.Semantic.DeepEqual(before.Status, rc.Status) {
			return
		}
		if err := r.client.Status().Patch(ctx, rc, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			retErr = kerrors.NewAggregate([]error{retErr, fmt.Errorf("patching status: %w", err)})
		}
	}()

	out, err := r.check(ctx, rc)
	if err != nil {
		// Our own API server failed us: back off through the rate limiter.
		return reconcile.Result{}, err
	}
	r.setStatus(rc, out)
	metrics.RemoteClusterReady(rc.Name, out.reason == drv1.ReasonConnected)
	log.V(1).Info("probed remote cluster", "reason", out.reason, "version", out.version)
	next := rc.Spec.ProbeInterval()
	if out.reason == drv1.ReasonUnreachable && next > unreachableProbeEvery {
		// The mappings that use the cluster wait for it: notice its return within seconds.
		next = unreachableProbeEvery
	}
	return reconcile.Result{RequeueAfter: next}, nil
}

// unreachableProbeEvery is how often a cluster that does not answer is probed, whatever its
// healthCheckInterval: a mapping resumes (with a full resync) once a probe succeeds.
const unreachableProbeEvery = 5 * time.Second

func (r *reconciler) forget(name string) {
	r.cache.Disconnect(name)
	metrics.ForgetRemoteCluster(name)
}

// check reads the Secret, connects and probes. An error means our own API server failed.
func (r *reconciler) check(ctx context.Context, rc *drv1.RemoteCluster) (outcome, error) {
	ref := rc.Spec.KubeconfigSecretRef
	key := ref.Key
	if key == "" {
		key = "kubeconfig"
	}
	secretName := rc.Namespace + "/" + ref.Name

	// Uncached read: Secret data is never held in an informer.
	secret := &corev1.Secret{}
	if err := r.apiReader.Get(ctx, types.NamespacedName{Namespace: rc.Namespace, Name: ref.Name}, secret); err != nil {
		if !apierrors.IsNotFound(err) {
			return outcome{}, fmt.Errorf("reading Secret %s: %w", secretName, err)
		}
		out := outcome{reason: drv1.ReasonSecretNotFound, stalled: true,
			message: fmt.Sprintf("Secret %s not found: create it with a kubeconfig under key %q", secretName, key)}
		r.cache.SetNotConnected(rc, out.reason, out.message)
		return out, nil
	}
	data, ok := secret.Data[key]
	if !ok {
		keys := make([]string, 0, len(secret.Data))
		for k := range secret.Data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		have := "it has no keys"
		if len(keys) > 0 {
			have = "it has " + strings.Join(keys, ", ")
		}
		out := outcome{reason: drv1.ReasonKeyNotFound, stalled: true,
			message: fmt.Sprintf("Secret %s has no key %q (%s): add the key or set spec.kubeconfigSecretRef.key", secretName, key, have)}
		r.cache.SetNotConnected(rc, out.reason, out.message)
		return out, nil
	}

	if _, err := r.cache.Connect(ctx, rc, data); err != nil {
		return notConnected(err), nil
	}
	start := time.Now()
	ver, err := r.cache.Probe(ctx, rc.Name)
	metrics.ObserveRemoteClusterProbe(rc.Name, time.Since(start))
	if err != nil {
		return notConnected(err), nil
	}
	h, err := r.cache.Get(ctx, rc.Name)
	if err != nil {
		return notConnected(err), nil
	}
	out := outcome{reason: drv1.ReasonConnected, version: ver,
		message: fmt.Sprintf("Connected to %s (Kubernetes %s)", h.Config.Host, ver)}
	if out.clusterID, err = h.ID(ctx); err != nil {
		// Mappings refuse to write without knowing the cluster's identity (they say so).
		out.message += fmt.Sprintf("; but the cluster's identity is unreadable, so a mapping between namespaces of one name on this and another cluster cannot prove they differ and writes nothing: %v", err)
	}
	return out, nil
}

func notConnected(err error) outcome {
	var nce *clustercache.NotConnectedError
	if !errors.As(err, &nce) {
		return outcome{reason: drv1.ReasonUnreachable, message: err.Error()}
	}
	stalled := nce.Reason == drv1.ReasonInvalidKubeconfig || nce.Reason == drv1.ReasonKubeconfigRejected
	return outcome{reason: nce.Reason, message: nce.Message, stalled: stalled}
}

// setStatus writes the outcome into rc.Status and emits an event when Ready changes.
func (r *reconciler) setStatus(rc *drv1.RemoteCluster, out outcome) {
	now := metav1.Now()
	rc.Status.LastProbeTime = &now
	prev := meta.FindStatusCondition(rc.Status.Conditions, drv1.ConditionReady)

	ready := metav1.Condition{Type: drv1.ConditionReady, Status: metav1.ConditionFalse, Reason: out.reason,
		Message: out.message, ObservedGeneration: rc.Generation}
	if out.reason == drv1.ReasonConnected {
		ready.Status = metav1.ConditionTrue
		rc.Status.ServerVersion = out.version
		rc.Status.ClusterID = out.clusterID
	}
	if out.stalled {
		meta.SetStatusCondition(&rc.Status.Conditions, metav1.Condition{Type: drv1.ConditionStalled, Status: metav1.ConditionTrue,
			Reason: out.reason, Message: out.message, ObservedGeneration: rc.Generation})
	} else {
		meta.RemoveStatusCondition(&rc.Status.Conditions, drv1.ConditionStalled)
	}
	// observedGeneration says the status is final for this spec: connected, or stalled until a
	// person acts. Transient failures (unreachable, unauthorized) leave it behind.
	if ready.Status == metav1.ConditionTrue || out.stalled {
		rc.Status.ObservedGeneration = rc.Generation
	}
	meta.SetStatusCondition(&rc.Status.Conditions, ready)

	switch {
	case prev != nil && prev.Status == ready.Status && prev.Reason == ready.Reason:
		// No transition: no event.
	case ready.Status == metav1.ConditionTrue:
		r.recorder.Eventf(rc, nil, corev1.EventTypeNormal, drv1.ReasonConnected, "Probe", "%s", out.message)
	case prev != nil && prev.Status == metav1.ConditionTrue:
		r.recorder.Eventf(rc, nil, corev1.EventTypeWarning, "ConnectionLost", "Probe", "%s: %s", out.reason, out.message)
	default:
		r.recorder.Eventf(rc, nil, corev1.EventTypeWarning, out.reason, "Probe", "%s", out.message)
	}
}
