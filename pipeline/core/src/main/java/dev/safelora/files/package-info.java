/** File-system helpers shared by the libraries, the stages and the CLI (JDK only). */
package dev.safelora.files;
