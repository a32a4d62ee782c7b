/**
 * Troubleshooting commands of the program: {@link io.acrcredential.examples.doctor.Doctor} (why a
 * Pod cannot pull its ACR image, and what to change) and {@link
 * io.acrcredential.examples.doctor.Status} (what the refresher keeps). Both only read the cluster
 * and never print a secret value. The command-line options live in {@code DoctorCommand} and {@code
 * StatusCommand} of the parent package.
 */
package io.acrcredential.examples.doctor;
