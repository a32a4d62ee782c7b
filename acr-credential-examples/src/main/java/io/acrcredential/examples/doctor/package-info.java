/**
 * The troubleshooting commands {@code doctor} (why a Pod cannot pull its ACR image, and what to
 * change) and {@code status} (what the refresher keeps): {@link
 * io.acrcredential.examples.doctor.Doctor} and {@link io.acrcredential.examples.doctor.Status} do
 * the work, {@code DoctorCommand} and {@code StatusCommand} parse the options and print. Both only
 * read the cluster and never print a secret value.
 */
package io.acrcredential.examples.doctor;
