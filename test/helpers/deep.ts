/**
 * `npm run test:deep` sets KAFKASIM_DEEP: slow cases (every lesson, hundreds of seeds) run
 * only then, so the default suite stays within its budget (5 minutes on 2 cores).
 */
export const DEEP = process.env.KAFKASIM_DEEP !== undefined && process.env.KAFKASIM_DEEP !== '0';
