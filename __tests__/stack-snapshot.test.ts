import { synthEnvironment } from './support/stack-fixture';

// A drift alarm, not the main assertion: any change to what a stack synthesizes shows up here for review.
it('synthesizes the base environment as before', () => {
  expect(JSON.parse(synthEnvironment().json)).toMatchSnapshot();
});
