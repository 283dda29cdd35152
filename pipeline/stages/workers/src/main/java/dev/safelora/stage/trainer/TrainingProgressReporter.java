package dev.safelora.stage.trainer;

import dev.safelora.schema.TrainingPhase;
import dev.safelora.stage.JobContext;
import dev.safelora.stage.jobs.ProgressEvents;
import dev.safelora.training.StopSignal;
import dev.safelora.training.TrainingListener;
import dev.safelora.training.TrainingProgress;
import java.time.Duration;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;

/**
 * The trainer's listener: a TRAINING progress event on the first step, the last step, and at most once per
 * {@code interval} in between, with the loss averaged over the steps since the previous event; and the bridge
 * from the loop's cooperative cancellation to the trainer's {@link StopSignal} (checked between steps, so a
 * shutdown stops training at a step boundary and the trainer checkpoints).
 */
final class TrainingProgressReporter extends ProgressEvents implements TrainingListener {

    private final Duration interval;
    private final StopSignal stop;
    private long lastReportNanos;
    private double lossSum;
    private int lossSteps;

    TrainingProgressReporter(JobContext<SpecificRecord> context, String topic, String requestId, UUID jobId, String adapterId,
                             Duration interval, StopSignal stop) {
        super(context, topic, requestId, jobId, adapterId);
        this.interval = interval;
        this.stop = stop;
    }

    @Override
    public void onStart(long totalSteps, long resumedAtStep) {
        phase(TrainingPhase.TRAINING, resumedAtStep > 0
                ? "resuming at step " + resumedAtStep + " of " + totalSteps : "training " + totalSteps + " steps");
        lastReportNanos = System.nanoTime();
    }

    @Override
    public void onStep(TrainingProgress p) {
        if (context.cancelled()) {
            stop.request();
        }
        lossSum += p.loss();
        lossSteps++;
        long now = System.nanoTime();
        if (p.step() == 1 || p.step() == p.totalSteps() || now - lastReportNanos >= interval.toNanos()) {
            context.publish(dev.safelora.stage.Output.of(topic, requestId, event(TrainingPhase.TRAINING, null)
                    .setEpoch(p.epoch())
                    .setStep(p.step())
                    .setTotalSteps(p.totalSteps())
                    .setLoss(lossSum / lossSteps)
                    .setLearningRate(p.learningRate())
                    .setTokensPerSecond(Double.isFinite(p.tokensPerSecond()) ? p.tokensPerSecond() : null)
                    .build()));
            lastReportNanos = now;
            lossSum = 0;
            lossSteps = 0;
        }
    }
}
