// Package namespacemapping holds the NamespaceMapping controller: it decides when the sync engine
// runs for a mapping (schedule, request, spec change) and reports the outcome in status.
package namespacemapping

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
	"github.com/dr-syncer/dr-syncer/internal/cluster"
	"github.com/dr-syncer/dr-syncer/internal/clustercache"
	"github.com/dr-syncer/dr-syncer/internal/continuous"
	"github.com/dr-syncer/dr-syncer/internal/controller/parkingrule"
	"github.com/dr-syncer/dr-syncer/internal/engine"
	"github.com/dr-syncer/dr-syncer/internal/metrics"
)

// notConnectedRetry is how long a mapping waits for a cluster that is not connected; the
// RemoteCluster watch wakes it earlier when the cluster becomes ready.
const notConnectedRetry = 30 * time.Second

// pausedRecheck is how often a paused mapping re-reads whether its DR namespace is live;
// cutoverRecheck while a cutover that paused it has not marked the namespace live yet.
const (
	pausedRecheck  = 30 * time.Second
	cutoverRecheck = 2 * time.Second
)

// staleRetry is how soon a reconcile that read a stale copy of its mapping runs again.
const staleRetry = 200 * time.Millisecond

// unreachableRetry is how soon a sync that failed as a whole because a cluster did not answer
// runs again, at a fixed pace instead of the rate limiter's backoff (up to 5 minutes): an outage
// shorter than the RemoteCluster's probe interval wakes nothing when it ends, and the promise is
// a full resync within 15 s of the cluster answering again. 6 attempts a minute.
const unreachableRetry = 10 * time.Second

// firstProbeRetry is how long a mapping first waits for the first probe of an existing
// RemoteCluster; later waits double (mappingState.nextProbeWait).
const firstProbeRetry = time.Second

// Reconciler reconciles NamespaceMappings.
type Reconciler struct {
	client.Client
	// APIReader reads the mapping itself, uncached: the informer cache may not have seen the
	// status this reconciler wrote a moment ago, and acting on that stale copy would overwrite it
	// (a Continuous mapping's finished sync reported as never run). nil: the cached client.
	APIReader client.Reader
	Clusters  *clustercache.Cache
	// Local is the cluster the controller runs in (an empty spec.sourceCluster).
	Local    *cluster.Handle
	Recorder events.EventRecorder
	// Continuous runs the watchers of Continuous mappings.
	Continuous *continuous.Manager
	Workers    int
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// Track, when set, is told when each reconcile starts and ends (the liveness watchdog).
	Track func(types.NamespacedName) func()

	// states holds the applied cache, delete guard and failed resync of each mapping.
	states states
}

// Tracked is the number of mappings this process keeps state for: those it has reconciled and
// that still exist (for tests that look for leaks).
func (r *Reconciler) Tracked() int { return r.states.len() }

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Reconcile follows one order: get → deferred status patch → deletion → paused → validate →
// decide → sync → report.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	if r.Track != nil {
		defer r.Track(req.NamespacedName)()
	}
	log := ctrl.LoggerFrom(ctx)
	m := &drv1.NamespaceMapping{}
	reader := client.Reader(r.Client)
	if r.APIReader != nil {
		reader = r.APIReader
	}
	if err := reader.Get(ctx, req.NamespacedName, m); err != nil {
		if apierrors.IsNotFound(err) {
			// Gone without our finalizer (deletionPolicy Retain), or after it.
			r.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	base := m.DeepCopy()
	// fresh: base is what the API server returned to our own write in this reconcile. Until then
	// it comes from the informer cache, which may not show our last status write yet: a status
	// decided from it must not overwrite a newer one, so the patch carries base's resourceVersion.
	fresh := false
	defer func() {
		if m.Status.Phase != drv1.PhaseLive {
			m.Status.LiveSince = nil
		}
		if equalStatus(base, m) {
			return
		}
		patch := client.MergeFrom(base)
		if !fresh {
			patch = client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})
		}
		err := r.Status().Patch(ctx, m, patch)
		switch {
		case apierrors.IsConflict(err):
			// Decided from a stale copy: decide again from the newer one.
			log.V(1).Info("status decided from a stale copy; reconciling again")
			res, retErr = ctrl.Result{RequeueAfter: staleRetry}, nil
		case err != nil && !apierrors.IsNotFound(err):
			retErr = errors.Join(retErr, fmt.Errorf("patching status: %w", err))
		}
	}()

	if d := m.Status.LastDrill; d != nil {
		metrics.LastDrill(req.String(), d.Time.Time, d.RTOSeconds, d.Ready)
	}
	if d := m.Status.LastSuccessfulDrill; d != nil {
		metrics.LastSuccessfulDrill(req.String(), d.Time.Time)
	}
	if !m.DeletionTimestamp.IsZero() {
		r.Continuous.Stop(req.NamespacedName)
		return r.finalize(ctx, m)
	}
	if err := r.ensureFinalizer(ctx, m); err != nil {
		return ctrl.Result{}, err
	}
	key := req.String()
	if m.Spec.Paused || m.Spec.Mode() != drv1.ModeContinuous {
		r.Continuous.Stop(req.NamespacedName)
	}
	if m.Spec.Paused {
		since, err := r.readLiveSince(ctx, m)
		switch {
		case since != "":
			markLive(m, since)
		case err != nil && m.Status.Phase == drv1.PhaseLive:
			// DR does not answer: nothing says it stopped being live (only failback ends that,
			// and failback needs DR). Keep reporting it live, and say why it was not re-read.
			c := meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionReady)
			msg := ""
			if c != nil {
				msg, _, _ = strings.Cut(c.Message, " (DR namespace not re-read:")
			}
			markNotReady(m, drv1.PhaseLive, drv1.ReasonDestinationLive, fmt.Sprintf("%s (DR namespace not re-read: %v)", msg, err))
		default:
			markNotReady(m, drv1.PhasePaused, drv1.ReasonPaused, "syncing is paused: set spec.paused to false to resume")
		}
		m.Status.NextSyncTime = nil
		m.Status.ObservedGeneration = m.Generation
		metrics.MappingReady(key, false)
		// Paused by a cutover counts as live for the alerts: a planned cutover pages nobody.
		_, byCutover := m.Annotations[drv1.AnnotationPausedBeforeCutover]
		metrics.MappingLive(key, m.Status.Phase == drv1.PhaseLive || byCutover)
		// Look again later: cutover marks the namespace live moments after pausing (soon), and a
		// flag-form cutover or failback changes it without touching the mapping.
		_, cutover := m.Annotations[drv1.AnnotationPausedBeforeCutover]
		if cutover && m.Status.Phase != drv1.PhaseLive {
			return ctrl.Result{RequeueAfter: cutoverRecheck}, nil
		}
		return ctrl.Result{RequeueAfter: pausedRecheck}, nil
	}
	if _, err := computeTiming(&m.Spec, nil, r.now()); err != nil {
		markStalled(m, err.Error())
		r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, drv1.ReasonInvalidSpec, "Validate", "%s", err.Error())
		metrics.MappingReady(key, false)
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	meta.RemoveStatusCondition(&m.Status.Conditions, drv1.ConditionStalled)

	src, dst, err := r.handles(ctx, m)
	if err != nil {
		if r.awaitingFirstProbe(ctx, m, err) {
			// This process has not probed the RemoteCluster yet: it has just started or just been
			// elected. The probe is moments away and, for a cluster that was Ready already, changes
			// nothing the RemoteCluster watch passes on: ask again soon (backing off), leave the
			// status as it is.
			return ctrl.Result{RequeueAfter: r.states.get(req.NamespacedName, m.UID).nextProbeWait()}, nil
		}
		// A watcher must not go on writing through a cluster that is gone or not connected.
		r.Continuous.Stop(req.NamespacedName)
		if errors.Is(err, clustercache.ErrNotConnected) {
			markNotReady(m, drv1.PhasePending, drv1.ReasonClusterNotReady, err.Error())
			metrics.MappingReady(key, false)
			return ctrl.Result{RequeueAfter: notConnectedRetry}, nil
		}
		return ctrl.Result{}, err
	}
	if err := engine.CheckIdentity(ctx, src, m.Spec.SourceNamespace, dst, m.Spec.DestNamespace()); err != nil {
		r.Continuous.Stop(req.NamespacedName)
		if !engine.IsSameClusterAndNamespace(err) {
			// Identity unreadable: nothing is written; retried with backoff.
			markNotReady(m, drv1.PhasePending, drv1.ReasonClusterNotReady, err.Error())
			metrics.MappingReady(key, false)
			if clusterUnreachable(err) {
				return ctrl.Result{RequeueAfter: unreachableRetry}, nil
			}
			return ctrl.Result{}, err
		}
		if c := meta.FindStatusCondition(base.Status.Conditions, drv1.ConditionStalled); c == nil || c.Reason != drv1.ReasonSameClusterAndNamespace {
			r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, drv1.ReasonSameClusterAndNamespace, "Validate", "%s", err.Error())
		}
		markStalledReason(m, drv1.ReasonSameClusterAndNamespace, err.Error()+
			"; nothing is written: point spec.destinationCluster (or spec.sourceCluster) at the other cluster, or set another destinationNamespace")
		m.Status.ObservedGeneration = m.Generation
		metrics.MappingReady(key, false)
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	ereq, err := EngineRequest(m, src, dst, r.Workers)
	if err != nil {
		markStalled(m, err.Error())
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	if ereq.Transform.Rules, err = parkingrule.InForce(ctx, r.Client, m.Namespace); err != nil {
		return ctrl.Result{}, err
	}
	st := r.states.get(req.NamespacedName, m.UID)
	st.probed()
	ereq.Applied, ereq.Guard = st.applied, st.guard

	now := r.now()
	var last *time.Time
	if m.Status.LastSyncTime != nil && m.Status.ObservedGeneration == m.Generation {
		last = &m.Status.LastSyncTime.Time
	}
	var watcher *continuous.Watcher
	if m.Spec.Mode() == drv1.ModeContinuous {
		if watcher, err = r.ensureWatcher(ctx, m, ereq); err != nil {
			return ctrl.Result{}, err
		}
		// The full resync follows the watcher's own clock: event syncs must not postpone it.
		last = nil
		if snap := watcher.Snapshot(); !snap.LastFullSync.IsZero() && !snap.NeedsResync {
			last = &snap.LastFullSync
		}
	}
	tm, _ := computeTiming(&m.Spec, last, now)
	// retrying: a Continuous full resync that had failures runs again, backing off, before its
	// interval; the status goes on saying what is known (no Syncing phase for it).
	retrying := false
	if watcher != nil {
		if at := st.resyncRetryAt(); !at.IsZero() {
			retrying = !tm.due && !now.Before(at)
			tm.due = tm.due || retrying
			if !tm.due && at.Before(tm.next) {
				tm.next = at
			}
		}
	}
	metrics.ScheduleInterval(key, tm.interval)
	if failedAsAWhole(m) {
		// The last sync could not run (a transient error): retry now; the rate limiter spaces
		// the retries out.
		tm.due = true
	}

	request := m.Annotations[drv1.AnnotationSyncNow]
	requested := request != "" && request != m.Status.LastHandledSyncRequest
	approval := m.Annotations[drv1.AnnotationAllowPrune]
	approved := approval != "" && approval != m.Status.LastHandledPruneApproval
	if approved && meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionPruneBlocked) {
		// Releasing a blocked prune is a request to run it now.
		tm.due = true
	}
	if m.Status.Phase == drv1.PhaseLive && m.Status.ObservedGeneration != m.Generation && m.Spec.Mode() != drv1.ModeManual {
		// Unpaused after a failback: replicate again now, not at the next scheduled time.
		tm.due = true
	}
	if !tm.due && !requested {
		if watcher != nil {
			r.reportWatcher(m, st, watcher.Snapshot())
		}
		r.idle(m, tm)
		// A flag-form cutover brings the DR namespace live without touching the mapping: look
		// at its live mark, so that status says Live before the next sync is due (requeueAt
		// comes back within pausedRecheck).
		switch since, err := r.readLiveSince(ctx, m); {
		case since != "":
			markLive(m, since)
			metrics.MappingReady(key, false)
			metrics.MappingLive(key, true)
		case err == nil:
			metrics.MappingLive(key, false)
		}
		return requeueAt(tm.next, now), nil
	}
	// Say that a sync is running before running it, in this reconcile: a requeue here would
	// reset the rate limiter's backoff and retry a failing sync in a hot loop.
	if m.Status.Phase != drv1.PhaseSyncing && (!retrying || requested) {
		m.Status.Phase = drv1.PhaseSyncing
		setCondition(m, drv1.ConditionReconciling, metav1.ConditionTrue, drv1.ReasonProgressing, "sync in progress")
		if err := r.Status().Patch(ctx, m, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			if apierrors.IsConflict(err) {
				// A stale copy: whether a sync is due is decided again from the newer one.
				base = m.DeepCopy()
				return ctrl.Result{RequeueAfter: staleRetry}, nil
			}
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		base, fresh = m.DeepCopy(), true
	}

	ereq.AllowPrune = approved

	log.V(1).Info("sync starting", "trigger", trigger(requested, tm.due))
	started := time.Now()
	result, err := engine.Sync(ctx, ereq)
	finished := metav1.NewTime(r.now())
	if requested {
		m.Status.LastHandledSyncRequest = request
	}
	if ereq.AllowPrune {
		m.Status.LastHandledPruneApproval = approval
	}
	m.Status.ObservedGeneration = m.Generation
	if err != nil {
		return r.syncFailed(ctx, m, err, finished, tm)
	}
	recordResult(m, result, finished)
	if watcher != nil {
		watcher.FullSyncDone(started, finished.Time)
		r.rememberResync(m, st, result)
		st.resyncDone(result.Stats.Failed == 0, r.now(), tm.interval)
		if at := st.resyncRetryAt(); !at.IsZero() && at.Before(tm.next) {
			tm.next = at
		}
	}
	r.report(m, result, finished)
	m.Status.NextSyncTime = nextTime(tm)
	return requeueAt(tm.next, r.now()), nil
}

// idle records a mapping that is waiting for its schedule or a request.
func (r *Reconciler) idle(m *drv1.NamespaceMapping, tm timing) {
	m.Status.NextSyncTime = nextTime(tm)
	m.Status.ObservedGeneration = m.Generation
	defer func() {
		// A new leader reports readiness before its first sync.
		metrics.MappingReady(client.ObjectKeyFromObject(m).String(), meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionReady))
	}()
	if m.Status.Phase == "" || m.Status.Phase == drv1.PhasePaused || m.Status.Phase == drv1.PhaseSyncing || m.Status.Phase == drv1.PhaseLive {
		reason, msg := drv1.ReasonWaitingForSchedule, "waiting for the first scheduled sync"
		if m.Spec.Mode() == drv1.ModeManual {
			reason, msg = drv1.ReasonWaitingForTrigger, fmt.Sprintf("Manual mode: set annotation %s to a new value to sync", drv1.AnnotationSyncNow)
		}
		switch {
		case m.Status.LastSyncTime == nil || m.Status.Phase == drv1.PhaseLive:
			// Never synced, or back from a cutover (failback): the last result says nothing now.
			markNotReady(m, drv1.PhasePending, reason, msg)
		case meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionReady):
			m.Status.Phase = drv1.PhaseSynced
		default:
			m.Status.Phase = drv1.PhaseFailed
		}
		meta.RemoveStatusCondition(&m.Status.Conditions, drv1.ConditionReconciling)
	}
}

// failedAsAWhole tells whether the last sync could not run at all, for a reason worth retrying.
func failedAsAWhole(m *drv1.NamespaceMapping) bool {
	c := meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionFalse && c.ObservedGeneration == m.Generation &&
		(c.Reason == drv1.ReasonSyncFailed || c.Reason == drv1.ReasonSourceNamespaceNotFound)
}

// sameFailure tells whether Ready already reports this failure for the current generation.
func sameFailure(m *drv1.NamespaceMapping, reason, msg string) bool {
	c := meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionFalse && c.ObservedGeneration == m.Generation &&
		c.Reason == reason && c.Message == truncate(msg, maxConditionMessage)
}

// syncFailed records a sync that could not run as a whole.
func (r *Reconciler) syncFailed(ctx context.Context, m *drv1.NamespaceMapping, err error, now metav1.Time, tm timing) (ctrl.Result, error) {
	reason := drv1.ReasonSyncFailed
	switch {
	case engine.IsSourceNamespaceNotFound(err):
		reason = drv1.ReasonSourceNamespaceNotFound
	case engine.IsDestinationLive(err):
		reason = drv1.ReasonDestinationLive
	}
	m.Status.LastSyncTime = &now
	msg := err.Error()
	phase := drv1.PhaseFailed
	if reason == drv1.ReasonDestinationLive {
		phase, msg = drv1.PhaseLive, msg+"; "+failbackHint(m)
		setLiveSince(m, r.liveSince(ctx, m))
	}
	// A failure that repeats is reported once: its retries back off and Ready keeps saying it.
	repeated := sameFailure(m, reason, msg)
	markNotReady(m, phase, reason, msg)
	if !repeated {
		r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, reason, "Sync", "sync failed: %v", err)
	}
	key := client.ObjectKeyFromObject(m).String()
	metrics.SyncRun(key, string(m.Spec.Mode()), "error", 0)
	metrics.MappingReady(key, false)
	metrics.MappingLive(key, phase == drv1.PhaseLive)
	m.Status.NextSyncTime = nextTime(tm)
	if ctx.Err() != nil {
		return ctrl.Result{}, ctx.Err()
	}
	if reason == drv1.ReasonDestinationLive {
		// A state a person ends (failback), not a fault to retry quickly.
		return requeueAt(tm.next, r.now()), nil
	}
	if clusterUnreachable(err) {
		return ctrl.Result{RequeueAfter: unreachableRetry}, nil
	}
	// The rate limiter backs off; the schedule still applies.
	return ctrl.Result{}, err
}

// clusterUnreachable tells whether err is a request that got no answer (refused, reset, timed
// out), as opposed to an API server's error status.
func clusterUnreachable(err error) bool {
	var ue *url.Error
	var status apierrors.APIStatus
	return errors.As(err, &ue) && !errors.As(err, &status)
}

// report emits events and metrics for a finished sync.
func (r *Reconciler) report(m *drv1.NamespaceMapping, res *engine.Result, now metav1.Time) {
	key := client.ObjectKeyFromObject(m).String()
	outcome := "success"
	if res.Stats.Failed > 0 {
		outcome = "partial"
		r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, "SyncFailed", "Sync", "Synced with failures: %s", summary(res))
	} else {
		r.Recorder.Eventf(m, nil, corev1.EventTypeNormal, "SyncSucceeded", "Sync", "Synced %s", summary(res))
		metrics.LastSuccess(key, now.Time)
	}
	if res.Stats.Conflicts > 0 {
		r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, "Conflict", "Sync", "%d destination objects exist and are not managed by this mapping; left untouched (conflictPolicy: Skip)", res.Stats.Conflicts)
	}
	if res.PruneBlocked != nil {
		r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, "PruneBlocked", "Prune", "%s", pruneBlockedMessage(m, res.PruneBlocked))
	}
	metrics.SyncRun(key, string(m.Spec.Mode()), outcome, res.Duration)
	metrics.MappingLive(key, false)
	metrics.MappingReady(key, res.Stats.Failed == 0)
	metrics.PruneBlocked(key, res.PruneBlocked != nil)
	metrics.DriftCorrected(key, res.DriftCorrections)
	counts := map[[2]string]int{}
	for _, a := range res.Actions {
		if a.Name != "" {
			counts[[2]string{a.GVK.Kind, actionLabel(a.Type)}]++
		}
	}
	for k, n := range counts {
		metrics.ObjectsApplied(key, k[0], k[1], n)
	}
}

// actionLabel maps engine actions to the documented metric values.
func actionLabel(t engine.ActionType) string {
	switch t {
	case engine.ActionCreate:
		return "created"
	case engine.ActionUpdate:
		return "updated"
	case engine.ActionDelete:
		return "deleted"
	case engine.ActionSkip:
		return "skipped"
	}
	return string(t)
}

// handles returns the source and destination clusters of a mapping.
func (r *Reconciler) handles(ctx context.Context, m *drv1.NamespaceMapping) (src, dst *cluster.Handle, err error) {
	src = r.Local
	if m.Spec.SourceCluster != "" {
		if src, err = r.remote(ctx, m.Namespace, m.Spec.SourceCluster); err != nil {
			return nil, nil, err
		}
	}
	if dst, err = r.remote(ctx, m.Namespace, m.Spec.DestinationCluster); err != nil {
		return nil, nil, err
	}
	return src, dst, nil
}

// remote returns a RemoteCluster's handle. A RemoteCluster deleted a moment ago may still be
// connected in the cache (its reconciler has not run yet): the informer cache, which already
// saw the deletion, decides, so a mapping never goes on with a cluster that is gone.
func (r *Reconciler) remote(ctx context.Context, namespace, name string) (*cluster.Handle, error) {
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &drv1.RemoteCluster{}); apierrors.IsNotFound(err) {
		return nil, &clustercache.NotConnectedError{Cluster: name, Reason: "NotFound",
			Message: fmt.Sprintf("RemoteCluster %s/%s does not exist: create it, or point the mapping at another cluster", namespace, name)}
	}
	return r.Clusters.Get(ctx, name)
}

// awaitingFirstProbe tells whether err is about a RemoteCluster that exists but that this process
// has not probed yet.
func (r *Reconciler) awaitingFirstProbe(ctx context.Context, m *drv1.NamespaceMapping, err error) bool {
	var nc *clustercache.NotConnectedError
	if !errors.As(err, &nc) || nc.Reason != clustercache.ReasonPending {
		return false
	}
	return r.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: nc.Cluster}, &drv1.RemoteCluster{}) == nil
}

// liveSince reads the live fence of a paused mapping's DR namespace: cutover pauses mappings
// and marks the namespace live. "" when it is not live or cannot be read (the mapping then
// shows Paused).
func (r *Reconciler) liveSince(ctx context.Context, m *drv1.NamespaceMapping) string {
	since, _ := r.readLiveSince(ctx, m)
	return since
}

// readLiveSince is liveSince with the reason it could not read the DR namespace.
func (r *Reconciler) readLiveSince(ctx context.Context, m *drv1.NamespaceMapping) (string, error) {
	dst, err := r.remote(ctx, m.Namespace, m.Spec.DestinationCluster)
	if err != nil {
		return "", err
	}
	ns := &corev1.Namespace{}
	if err := dst.Client.Get(ctx, client.ObjectKey{Name: m.Spec.DestNamespace()}, ns); err != nil {
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		return "", err
	}
	return ns.Annotations[drv1.AnnotationLiveSince], nil
}

// markLive reports a mapping whose DR namespace cutover brought live.
func markLive(m *drv1.NamespaceMapping, since string) {
	setLiveSince(m, since)
	markNotReady(m, drv1.PhaseLive, drv1.ReasonDestinationLive, fmt.Sprintf(
		"DR namespace %s in cluster %s is live since %s (cutover): nothing is synced into it; %s",
		m.Spec.DestNamespace(), m.Spec.DestinationCluster, since, failbackHint(m)))
}

// setLiveSince records the live-since annotation's time in status.liveSince (nil when it is
// not an RFC 3339 time, as cutover writes it).
func setLiveSince(m *drv1.NamespaceMapping, since string) {
	m.Status.LiveSince = nil
	if t, err := time.Parse(time.RFC3339, since); err == nil {
		mt := metav1.NewTime(t)
		m.Status.LiveSince = &mt
	}
}

func failbackHint(m *drv1.NamespaceMapping) string {
	return fmt.Sprintf("`dr-syncer failback --mapping %s/%s` parks DR and resumes replication", m.Namespace, m.Name)
}

func trigger(requested, due bool) string {
	if requested {
		return "sync-now"
	}
	return "schedule"
}

func nextTime(tm timing) *metav1.Time {
	if tm.next.IsZero() {
		return nil
	}
	t := metav1.NewTime(tm.next)
	return &t
}

func requeueAt(next, now time.Time) ctrl.Result {
	// Never later than pausedRecheck: an idle reconcile reads the DR namespace's live mark,
	// which a flag-form cutover sets without touching the mapping.
	if next.IsZero() {
		return ctrl.Result{RequeueAfter: pausedRecheck}
	}
	d := min(next.Sub(now), pausedRecheck)
	if d < time.Second {
		d = time.Second
	}
	return ctrl.Result{RequeueAfter: d}
}
