/**
 * The Pod mutating admission webhook that adds the managed pull Secrets to new Pods, answering from
 * any {@link io.acrcredential.k8s.webhook.PullSecretNames} source (normally a running sync).
 */
package io.acrcredential.k8s.webhook;
