// The page's experiments, in the order of their tabs. Each view module exports its tab descriptor
// (lab/panel.js): the shell builds the tab bar, the panels, the controllers and the list of tabs a link may
// name from this list. A new experiment's view: its file, its import here and its place in VIEWS.

import { tab as cloud } from './cloud.js';
import { tab as lth } from './lth.js';
import { tab as attention } from './attention.js';
import { tab as dataset } from './dataset.js';
import { tab as scaling } from './scaling.js';
import { tab as theory } from './theory.js';

export const VIEWS = [cloud, lth, attention, dataset, scaling, theory];
