/**
 * The {@code acr-credential} program's entry point ({@link io.acrcredential.examples.Main}, which
 * picks a command from the role packages below it) and two embedding examples for services that use
 * the library directly.
 */
package io.acrcredential.examples;
