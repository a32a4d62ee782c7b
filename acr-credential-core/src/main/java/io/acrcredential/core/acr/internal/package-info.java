/**
 * Not API: the one class Alibaba's SDK must be able to create by reflection, public only for that;
 * it may change in any release and is left out of the Javadoc.
 */
package io.acrcredential.core.acr.internal;
