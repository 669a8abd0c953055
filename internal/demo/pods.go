package demo

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// podCount is what runs in a namespace: its Pods, and how many of them are Ready.
type podCount struct{ total, ready int }

func (p podCount) String() string { return fmt.Sprintf("%d Pods, %d ready", p.total, p.ready) }

// countPods counts the Pods of ns that have not finished, and the Ready ones among them.
func countPods(ctx context.Context, cs kubernetes.Interface, ns string) (podCount, error) {
	l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return podCount{}, err
	}
	var c podCount
	for _, p := range l.Items {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		c.total++
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
				c.ready++
			}
		}
	}
	return c, nil
}

// appReady waits until the app's Deployment in cs has all its replicas ready and returns what
// runs in the namespace.
func appReady(ctx context.Context, cs kubernetes.Interface) (podCount, error) {
	var c podCount
	err := eventually(ctx, stepTimeout, func(ctx context.Context) error {
		dep, err := cs.AppsV1().Deployments(appNamespace).Get(ctx, appDeployment, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if dep.Status.ReadyReplicas != appReplicas || dep.Status.ObservedGeneration < dep.Generation {
			return fmt.Errorf("Deployment %s/%s has %d of %d replicas ready", appNamespace, appDeployment, dep.Status.ReadyReplicas, appReplicas)
		}
		c, err = countPods(ctx, cs, appNamespace)
		return err
	})
	return c, err
}
