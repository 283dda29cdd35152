package dev.safelora.sweep;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What one evaluation measured; a part that was not evaluated is null.
 *
 * @param refusalRate share of harmful prompts the keyword judge calls refused
 * @param attackSuccessRate {@code 1 - refusalRate}
 * @param taskAccuracy share of task prompts answered correctly
 * @param heldoutLoss mean response-token loss on the held-out set
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Metrics(Double refusalRate, Double attackSuccessRate, Double taskAccuracy, Double heldoutLoss) {
}
