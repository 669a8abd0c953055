package demo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// verify checks what the mapping made of the sample application in dr, then changes it in prod
// and measures how long the change takes to reach dr. Every check is a step of its own.
func (d *demo) verify(ctx context.Context) {
	s := d.steps
	s.say("Checking the standby copy in dr ...")
	key := func(name string) client.ObjectKey { return client.ObjectKey{Namespace: appNamespace, Name: name} }
	check := func(title string, obj client.Object, name string, ok func() (string, error)) {
		_ = s.run(title, func() (string, error) {
			var detail string
			err := eventually(ctx, stepTimeout, func(ctx context.Context) error {
				if err := d.dr.Client.Get(ctx, key(name), obj); err != nil {
					return err
				}
				var err error
				detail, err = ok()
				return err
			})
			return detail, err
		})
	}

	dep := &appsv1.Deployment{}
	check(fmt.Sprintf("DR Deployment %s/%s parked", appNamespace, appDeployment), dep, appDeployment, func() (string, error) {
		replicas := int32(1)
		if dep.Spec.Replicas != nil {
			replicas = *dep.Spec.Replicas
		}
		original := dep.Annotations[drv1.AnnotationOriginalReplicas]
		if replicas != 0 || original != strconv.Itoa(appReplicas) {
			return "", fmt.Errorf("replicas %d, %s=%q; want 0 and %d", replicas, drv1.AnnotationOriginalReplicas, original, appReplicas)
		}
		return fmt.Sprintf("replicas 0, %s=%s (cutover scales it back)", drv1.AnnotationOriginalReplicas, original), nil
	})

	_ = s.run(fmt.Sprintf("app running in prod: Deployment %s/%s has %d ready replicas", appNamespace, appDeployment, appReplicas), func() (string, error) {
		c, err := appReady(ctx, d.prodKube)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("namespace %s in prod: %s (on kwok's fake nodes)", appNamespace, c), nil
	})

	// dr runs the same controllers as prod: a parked copy that ran anything would show here.
	_ = s.run(fmt.Sprintf("DR namespace %s runs nothing", appNamespace), func() (string, error) {
		c, err := countPods(ctx, d.drKube, appNamespace)
		if err != nil {
			return "", err
		}
		if c.total != 0 {
			return "", fmt.Errorf("%s in the parked namespace, want none", c)
		}
		return "Pods: 0 (dr runs a controller manager, a scheduler and nodes too)", nil
	})

	cj := &batchv1.CronJob{}
	check(fmt.Sprintf("DR CronJob %s/%s suspended", appNamespace, appCronJob), cj, appCronJob, func() (string, error) {
		if cj.Spec.Suspend == nil || !*cj.Spec.Suspend {
			return "", fmt.Errorf("spec.suspend is not true")
		}
		return fmt.Sprintf("spec.suspend true, schedule %q kept", cj.Spec.Schedule), nil
	})

	sec := &corev1.Secret{}
	check(fmt.Sprintf("DR Secret %s/%s copied", appNamespace, appSecret), sec, appSecret, func() (string, error) {
		src := &corev1.Secret{}
		if err := d.prod.Client.Get(ctx, key(appSecret), src); err != nil {
			return "", err
		}
		if !maps.EqualFunc(src.Data, sec.Data, func(a, b []byte) bool { return string(a) == string(b) }) {
			return "", fmt.Errorf("data differs from prod (keys %v, want %v)", slices.Sorted(maps.Keys(sec.Data)), slices.Sorted(maps.Keys(src.Data)))
		}
		return fmt.Sprintf("keys %s, values identical to prod", strings.Join(slices.Sorted(maps.Keys(sec.Data)), ", ")), nil
	})

	svc := &corev1.Service{}
	check(fmt.Sprintf("DR Service %s/%s present", appNamespace, appService), svc, appService, func() (string, error) {
		if len(svc.Spec.Ports) == 0 || svc.Spec.Ports[0].Port != 80 {
			return "", fmt.Errorf("ports %v, want 80", svc.Spec.Ports)
		}
		return fmt.Sprintf("port 80, cluster IP %s allocated by dr", svc.Spec.ClusterIP), nil
	})

	ing := &networkingv1.Ingress{}
	check(fmt.Sprintf("DR Ingress %s/%s present", appNamespace, appIngress), ing, appIngress, func() (string, error) {
		if len(ing.Spec.Rules) == 0 || ing.Spec.Rules[0].Host != "shop.example.com" {
			return "", fmt.Errorf("rules %v, want host shop.example.com", ing.Spec.Rules)
		}
		return "host shop.example.com", nil
	})

	s.say("Changing ConfigMap %s/%s in prod and watching dr ...", appNamespace, appConfigMap)
	_ = s.run("change in prod reached dr", func() (string, error) {
		c, err := d.change(ctx)
		if err != nil {
			return "", err
		}
		return c.String(), nil
	})

	_ = s.run(fmt.Sprintf("NamespaceMapping %s/%s Ready", controllerNamespace, mappingName), func() (string, error) {
		m := &drv1.NamespaceMapping{}
		err := eventually(ctx, stepTimeout, func(ctx context.Context) error {
			if err := d.prod.Client.Get(ctx, client.ObjectKey{Namespace: controllerNamespace, Name: mappingName}, m); err != nil {
				return err
			}
			if !meta.IsStatusConditionTrue(m.Status.Conditions, drv1.ConditionReady) || m.Status.LastEventTime == nil {
				return fmt.Errorf("phase %q, %s, last event %v", m.Status.Phase,
					conditionText(meta.FindStatusCondition(m.Status.Conditions, drv1.ConditionReady)), m.Status.LastEventTime)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("phase %s, last change replicated at %s", m.Status.Phase, m.Status.LastEventTime.Format(time.TimeOnly)), nil
	})

	_ = s.run("controller metrics report the mapping", func() (string, error) {
		mapping := controllerNamespace + "/" + mappingName
		want := []string{
			fmt.Sprintf(`drsyncer_namespacemapping_ready{mapping=%q} 1`, mapping),
			fmt.Sprintf(`drsyncer_remotecluster_ready{cluster=%q} 1`, remoteClusterName),
			fmt.Sprintf(`drsyncer_propagation_lag_seconds_count{mapping=%q}`, mapping),
		}
		err := eventually(ctx, stepTimeout, func(ctx context.Context) error {
			body, err := httpGet(ctx, "http://"+d.metricsAddr+"/metrics")
			if err != nil {
				return err
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					return fmt.Errorf("/metrics has no %s", w)
				}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("http://%s/metrics has drsyncer_namespacemapping_ready 1, drsyncer_remotecluster_ready 1, drsyncer_propagation_lag_seconds", d.metricsAddr), nil
	})
}

// propagation is one change made in prod and seen in dr.
type propagation struct {
	revision int
	lag      time.Duration
	at       time.Time
}

func (p propagation) String() string {
	return fmt.Sprintf("ConfigMap %s/%s %s=%d seen in dr %s after the write in prod",
		appNamespace, appConfigMap, revisionKey, p.revision, p.lag.Round(time.Millisecond))
}

// change writes the next revision into the ConfigMap in prod and watches dr until the copy has
// it: the lag is from just before the write in prod to the watch event from dr.
func (d *demo) change(ctx context.Context) (propagation, error) {
	cms := d.drKube.CoreV1().ConfigMaps(appNamespace)
	var current *corev1.ConfigMap
	err := eventually(ctx, stepTimeout, func(ctx context.Context) error {
		var err error
		current, err = cms.Get(ctx, appConfigMap, metav1.GetOptions{})
		return err
	})
	if err != nil {
		return propagation{}, fmt.Errorf("the copy in dr: %w", err)
	}
	w, err := cms.Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", appConfigMap).String(),
		ResourceVersion: current.ResourceVersion,
	})
	if err != nil {
		return propagation{}, fmt.Errorf("watching dr: %w", err)
	}
	defer w.Stop()

	d.revision++
	p := propagation{revision: d.revision}
	want := strconv.Itoa(p.revision)
	patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"data":{%q:%q}}`, revisionKey, want))
	start := time.Now()
	src := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: appNamespace, Name: appConfigMap}}
	if err := d.prod.Client.Patch(ctx, src, patch); err != nil {
		return p, fmt.Errorf("changing prod: %w", err)
	}
	timeout := time.NewTimer(stepTimeout)
	defer timeout.Stop()
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return p, fmt.Errorf("the watch on dr ended before %s=%s arrived", revisionKey, want)
			}
			if cm, isCM := ev.Object.(*corev1.ConfigMap); isCM && cm.Data[revisionKey] == want {
				p.lag, p.at = time.Since(start), time.Now()
				return p, nil
			}
		case <-timeout.C:
			return p, fmt.Errorf("%s=%s not in dr %s after the write in prod", revisionKey, want, stepTimeout)
		case <-ctx.Done():
			return p, ctx.Err()
		}
	}
}
