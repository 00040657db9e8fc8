import type { Bus, Logger } from "@symphony/kit";
import { SUBJECTS } from "@symphony/proto/contracts";
import { KeyInvalidation } from "@symphony/proto/events/v1/events";
import type { KeyCustody } from "./custody.js";

/**
 * When a member leaves a stream, its content key is rotated, so a key the former member kept
 * (e.g. through client-side delivery) opens nothing sent afterwards. One replica handles each
 * notice (queue group). Notices are best effort: releases are refused to non-members anyway.
 */
export function rotateOnMemberRemoval(bus: Bus, subjectPrefix: string, custody: KeyCustody, keysChanged: (streamId: string) => void, logger: Logger): void {
  bus.nc.subscribe(SUBJECTS.allKeysChanged(subjectPrefix), {
    queue: "keymanager",
    callback: (err, msg) => {
      if (err) return;
      const notice = KeyInvalidation.decode(msg.data);
      if (notice.userId === 0) return;
      custody.rotate(notice.streamId).then(
        (rotationId) => {
          logger.info({ streamId: notice.streamId, rotationId }, "content key rotated after a member left");
          keysChanged(notice.streamId);
        },
        (e: unknown) => logger.warn({ err: e, streamId: notice.streamId }, "could not rotate after a member left"),
      );
    },
  });
}
